# dnf (Fedora, RHEL 8+, Rocky, Alma).
dnf install -y --setopt=install_weak_deps=False {{packages}}
dnf clean all
rm -rf /var/cache/dnf
