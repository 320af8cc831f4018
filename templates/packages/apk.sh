# apk (Alpine). --no-cache fetches a fresh index and keeps nothing.
apk add --no-cache {{packages}}
