// Limits that more than one daemon must agree on, stated once. Pure constants.

/**
 * Largest message the stack accepts, in bytes (50 MiB): Postfix's message_size_limit, Roundcube's
 * max_message_size (Roundcube itself allows attachments up to this / 1.33, the base64 overhead),
 * and, with a little room for the multipart envelope, PHP's and nginx's request body limits.
 */
export const MESSAGE_SIZE_LIMIT = 50 * 1024 * 1024;

/** An upload request may carry a whole message plus its multipart framing. */
export const UPLOAD_REQUEST_LIMIT = MESSAGE_SIZE_LIMIT + 1024 * 1024;
