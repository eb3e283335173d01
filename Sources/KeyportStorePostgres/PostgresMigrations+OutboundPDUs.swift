extension PostgresMigrations {
    /// The outbound PDU queue, as SQLite's "v16-outbound-pdus" made it (the port copies by name):
    /// room events waiting to be sent, per destination. An entry names the event; its PDU stays in
    /// `room_events.pdu_json`. `id` is the queue order, taken from the `federation_pdu_outbox`
    /// counter (`StreamCounter`) so that it is commit order: a sender never reads an entry while
    /// an older one is still uncommitted, and the port moves the counter past the copied ids.
    static let v11OutboundPDUs = Migration(
        name: "v11-outbound-pdus",
        statements: [
            "INSERT INTO stream_positions (stream, position) VALUES ('federation_pdu_outbox', 0)",
            """
            CREATE TABLE federation_pdu_outbox (
                id BIGINT PRIMARY KEY,
                destination TEXT NOT NULL,
                event_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                UNIQUE (destination, event_id)
            )
            """,
            "CREATE INDEX federation_pdu_outbox_destination ON federation_pdu_outbox (destination, id)",
        ])
}
