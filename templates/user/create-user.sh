# Creates the environment's user. One command per line; devenv joins the lines with && into one RUN.
# Works with shadow-utils (useradd), busybox (adduser) or neither (edits /etc/passwd), and takes over a
# uid or gid the base image already uses (ubuntu:24.04 ships a user "ubuntu" with uid 1000).
# Placeholders: {{name}} {{uid}} {{gid}} {{shell}}, each already shell-quoted.
user={{name}} uid={{uid}} gid={{gid}} shell={{shell}}
old=$(awk -F: -v id="$uid" '$3 == id {print $1}' /etc/passwd); if [ -n "$old" ] && [ "$old" != "$user" ]; then if command -v userdel >/dev/null 2>&1; then userdel "$old"; elif command -v deluser >/dev/null 2>&1; then deluser "$old"; else sed -i "/^$old:/d" /etc/passwd; fi; fi
group=$(awk -F: -v id="$gid" '$3 == id {print $1}' /etc/group); if [ -z "$group" ]; then group="$user"; if command -v groupadd >/dev/null 2>&1; then groupadd -g "$gid" "$group"; elif command -v addgroup >/dev/null 2>&1; then addgroup -g "$gid" "$group"; else echo "$group:x:$gid:" >> /etc/group; fi; fi
if ! id -u "$user" >/dev/null 2>&1; then if command -v useradd >/dev/null 2>&1; then useradd -m -u "$uid" -g "$group" -s "$shell" "$user"; elif command -v adduser >/dev/null 2>&1; then adduser -D -u "$uid" -G "$group" -s "$shell" "$user"; else echo "$user:x:$uid:$gid::/home/$user:$shell" >> /etc/passwd && mkdir -p "/home/$user" && chown "$uid:$gid" "/home/$user"; fi; fi
if [ -d /etc/sudoers.d ]; then echo "$user ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/devenv-user && chmod 0440 /etc/sudoers.d/devenv-user; fi
