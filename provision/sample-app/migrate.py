"""Creates the sample app's database schema: `python3 -m migrate` (or `python3 migrate.py`),
usable as a pre-start command. Idempotent."""
import store

if __name__ == "__main__":
    print(f"schema ready: {store.migrate()}")
