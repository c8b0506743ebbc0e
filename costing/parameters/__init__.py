"""Policy parameters kept in the database: seeded from the data files, exported back to them, the
confirmed set the engine uses, and their administration under the two-person rule. Other features use
``costing.parameters.service``."""
