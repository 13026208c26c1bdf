# staging-flow/database.sh (sourced by scripts/staging-flow.sh, not run): the database from
# --database-url: a SQLite file in the temporary directory by default, sqlite://… as given, or a
# fresh PostgreSQL database created on the named server (pg_admin; dropped in clean-up).

# --- the database ------------------------------------------------------------------------------------
PG_ARGS=()
pg_admin() { # pg_admin TOOL ARGS...: createdb/dropdb/psql on the server named by --database-url
    PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=10 timeout 60 "$1" "${PG_ARGS[@]}" "${@:2}"
}
if [ -z "$DB_URL_ARG" ]; then
    DB_URL="sqlite://$TMPD/s3keeper.db?mode=rwc"
else
    case "$DB_URL_ARG" in
        sqlite:*) DB_URL=$DB_URL_ARG ;;
        postgres://*|postgresql://*)
            command -v createdb >/dev/null && command -v psql >/dev/null \
                || bad "--database-url postgres://… needs createdb and psql (PostgreSQL client)"
            # host, port, user, password, database, query, scheme://netloc: split by Python, one a line
            mapfile -t PG_PARTS < <(python3 - "$DB_URL_ARG" <<'PY'
import sys, urllib.parse as up
u = up.urlsplit(sys.argv[1])
for part in (u.hostname or "127.0.0.1", str(u.port or 5432), up.unquote(u.username or "postgres"),
             up.unquote(u.password or ""), u.path.lstrip("/"), u.query, f"{u.scheme}://{u.netloc}"):
    print(part.replace("\n", ""))
PY
)
            [ ${#PG_PARTS[@]} -eq 7 ] || bad "cannot read --database-url"
            PG_PASSWORD=${PG_PARTS[3]}
            PG_ARGS=(-h "${PG_PARTS[0]}" -p "${PG_PARTS[1]}" -U "${PG_PARTS[2]}")
            name=${PG_PARTS[4]}
            case "$name" in ""|*[!a-zA-Z0-9_]*) name="" ;; esac
            exists=$(pg_admin psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${name:-none}'" 2>"$TMPD/pg-err") \
                || bad "cannot reach PostgreSQL at ${PG_PARTS[0]}:${PG_PARTS[1]} as ${PG_PARTS[2]}: $(tr '\n' ' ' <"$TMPD/pg-err")"
            if [ -z "$name" ] || [ "$exists" = 1 ]; then name="s3k_$(date +%s)_$$_staging"; fi
            pg_admin createdb "$name" 2>"$TMPD/pg-err" || bad "createdb $name failed: $(tr '\n' ' ' <"$TMPD/pg-err")"
            PG_CREATED=$name
            DB_URL="${PG_PARTS[6]}/$name"
            [ -z "${PG_PARTS[5]}" ] || DB_URL="$DB_URL?${PG_PARTS[5]}"
            ;;
        *) bad "--database-url must be sqlite://… or postgres://… (got $(mask_url "$DB_URL_ARG"))" ;;
    esac
fi
