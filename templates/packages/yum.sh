# yum (CentOS 7 and older).
yum install -y {{packages}}
yum clean all
rm -rf /var/cache/yum
