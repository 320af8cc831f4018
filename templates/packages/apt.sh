# apt (Debian, Ubuntu). One command per line; devenv joins the lines with && into one RUN, so the
# index and the cache never reach a layer. {{packages}} is the sorted, de-duplicated package list.
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {{packages}}
rm -rf /var/lib/apt/lists/*
