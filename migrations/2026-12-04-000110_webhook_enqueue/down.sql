DROP FUNCTION webhook_enqueue(text, text[], uuid, text, uuid, text, integer);
