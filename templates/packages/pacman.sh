# pacman (Arch). -Syu: Arch does not support partial upgrades.
pacman -Syu --noconfirm --needed {{packages}}
pacman -Scc --noconfirm
