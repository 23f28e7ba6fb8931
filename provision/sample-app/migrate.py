"""Creates the sample app's database schema: `python3 -m migrate` (or `python3 migrate.py`),
usable as a pre-start command. Idempotent; SQLite or PostgreSQL as DATABASE_URL says (store.py).
Prints where the data is (a PostgreSQL URL with its password replaced by ***)."""
import sys

import store

if __name__ == "__main__":
    try:
        print(f"schema ready: {store.migrate()}")
    except store.DatabaseError as e:
        sys.exit(f"migrate: {e}")
