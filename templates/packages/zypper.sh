# zypper (openSUSE).
zypper --non-interactive refresh
zypper --non-interactive install --no-recommends {{packages}}
zypper clean --all
