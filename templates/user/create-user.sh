# Creates the environment's user. One command per line; devenv joins the lines with && into one RUN.
# Works with shadow-utils (useradd) and with busybox (adduser), and takes over a uid or gid that the
# base image already uses (ubuntu:24.04 ships a user "ubuntu" with uid 1000).
# Placeholders: {{name}} {{uid}} {{gid}} {{shell}}, each already shell-quoted.
old=$(awk -F: -v id={{uid}} '$3 == id {print $1}' /etc/passwd); if [ -n "$old" ] && [ "$old" != {{name}} ]; then if command -v userdel >/dev/null 2>&1; then userdel "$old"; else deluser "$old"; fi; fi
group=$(awk -F: -v id={{gid}} '$3 == id {print $1}' /etc/group); if [ -z "$group" ]; then if command -v groupadd >/dev/null 2>&1; then groupadd -g {{gid}} {{name}}; else addgroup -g {{gid}} {{name}}; fi; group={{name}}; fi
if ! id -u {{name}} >/dev/null 2>&1; then if command -v useradd >/dev/null 2>&1; then useradd -m -u {{uid}} -g "$group" -s {{shell}} {{name}}; else adduser -D -u {{uid}} -G "$group" -s {{shell}} {{name}}; fi; fi
if [ -d /etc/sudoers.d ]; then echo {{name}}' ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/devenv-user && chmod 0440 /etc/sudoers.d/devenv-user; fi
