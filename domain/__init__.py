"""The domain: kinds of work, their events and aggregates. Imports only eventsourcing.domain and stdlib."""
