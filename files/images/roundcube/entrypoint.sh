#!/bin/sh
# Runs Roundcube: installs the rendered config.inc.php (the database password and des_key: 0640
# root:www-data) as Debian's /etc/roundcube/config.inc.php and the rendered FPM pool, publishes
# Roundcube's static files for nginx, creates or upgrades Roundcube's tables, then runs PHP-FPM in
# the foreground.
#   (no argument)  all of the above
#   check          `php -l` on the config and `php-fpm8.4 -t` on the pool; no database, no copy
# Static files: Debian's public_html tree (following its symlinks into /usr/share/roundcube) is
# copied into a new folder under /srv/roundcube/releases at every start, so an image upgrade
# updates it, and /srv/roundcube/current is switched to it in one rename: nginx never serves a
# half-copied tree. Only static asset types are copied; PHP sources, plugin configs, templates and
# dot-files stay in this container. It never writes to /config.
set -eu

src="${CONFIG_SRC:-/config}"
public="${ROUNDCUBE_PUBLIC:-/srv/roundcube}"
debian_public=/var/lib/roundcube/public_html
fpm_conf=/etc/php/8.4/fpm/mailstack-roundcube.conf

install_config() {
  install -o root -g www-data -m 0640 "$src/config.inc.php" /etc/roundcube/config.inc.php
  install -o root -g root -m 0644 "$src/php-fpm.conf" "$fpm_conf"
  install -d -o root -g root -m 0755 /run/php
}

publish_static() {
  releases="$public/releases"
  name="$(date -u +%Y%m%dT%H%M%SZ)-$$"
  mkdir -p "$releases/$name"
  # find -L follows Debian's symlinks and skips dangling ones (-type f); tar -h copies the files
  # they point to.
  (
    cd "$debian_public"
    find -L . -path '*/.*' -prune -o -type f \( \
      -name '*.css' -o -name '*.js' -o -name '*.map' -o -name '*.gz' -o \
      -name '*.png' -o -name '*.gif' -o -name '*.jpg' -o -name '*.jpeg' -o -name '*.svg' -o -name '*.ico' -o -name '*.webp' -o \
      -name '*.woff' -o -name '*.woff2' -o -name '*.ttf' -o -name '*.eot' -o \
      -name '*.wav' -o -name '*.mp3' -o -name '*.pdf' -o -name '*.tif' -o -name '*.tiff' \
      \) -print0 | tar --null -T - -chf -
  ) | tar -C "$releases/$name" -xf -
  ln -sfn "releases/$name" "$public/current.new"
  mv -Tf "$public/current.new" "$public/current"
  # Keep the previous release for pages already loaded in a browser; drop the older ones.
  find "$releases" -mindepth 1 -maxdepth 1 -type d | sort | head -n -2 | while IFS= read -r old; do rm -rf -- "$old"; done
}

update_schema() {
  tries=0
  until setpriv --reuid www-data --regid www-data --init-groups -- php /usr/local/lib/mailstack/roundcube-db.php; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "roundcube: the database schema could not be created or updated (see above)" >&2
      exit 1
    fi
    sleep 2
  done
}

case "${1:-}" in
  check)
    install_config
    php -l /etc/roundcube/config.inc.php
    exec php-fpm8.4 -t --fpm-config "$fpm_conf"
    ;;
  "")
    install_config
    publish_static
    update_schema
    exec php-fpm8.4 --nodaemonize --fpm-config "$fpm_conf"
    ;;
  *)
    exec "$@"
    ;;
esac
