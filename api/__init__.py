"""`baoxue serve`: the HTTP API. The only process besides the workers that holds the data key, the
codec keyring, the service key, the database and a Temporal client; every rule about who may read
or do what runs here (docs/architecture.md, "The trust boundary")."""
