"""The officer's client: HTTP to `baoxue serve` and nothing else. It holds the officer's own private
key (the profile) and the server's URL; never a data key, a database URL or a Temporal client
(docs/architecture.md, "The trust boundary"). Imports stay light: a command starts in well under
a third of a second."""
