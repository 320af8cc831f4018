# microdnf (the minimal Red Hat UBI images).
microdnf install -y --setopt=install_weak_deps=0 {{packages}}
microdnf clean all
