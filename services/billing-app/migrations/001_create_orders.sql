-- Orders recorded from billing_queue messages. message_id (the AMQP message-id set by the publisher) makes a
-- redelivered message idempotent: the second insert is a no-op instead of a duplicate order.
CREATE TABLE orders (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id TEXT NOT NULL,
  number_of_items INTEGER NOT NULL CHECK (number_of_items > 0),
  total_amount NUMERIC(12, 2) NOT NULL CHECK (total_amount >= 0),
  message_id TEXT UNIQUE,
  received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
