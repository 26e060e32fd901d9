"""Settings and the database engine, shared by the edges (api, cli) and passed down."""
