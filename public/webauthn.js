// Portico's passkey glue: hands the server's WebAuthn options to
// navigator.credentials and returns the browser's answer as JSON text.
//
// Why hand-written JavaScript: the options carry their binary fields
// (challenge, user.id, credential ids) as base64url text, and the server
// wants the credential back the same way. The browser's own converters
// (PublicKeyCredential.parseCreationOptionsFromJSON,
// parseRequestOptionsFromJSON and PublicKeyCredential.toJSON) are missing
// from browsers still in use, so this module does the base64url <->
// ArrayBuffer conversions and the serialization itself. It is a plain
// same-origin module (the page's CSP allows 'self' scripts), loaded with
// import() only when a passkey is used or the browser can offer passkeys
// in the email field's autofill, so the sign-in page's first load does not
// carry it.

// The ceremony in progress: a page runs one at a time, and a new one (the
// "Sign in with a passkey" button) ends the autofill one.
let pending = null;

/** Stop the ceremony in progress, if any (its promise rejects). */
export function abort() {
  if (pending) {
    pending.abort();
    pending = null;
  }
}

function begin() {
  abort();
  pending = new AbortController();
  return pending;
}

function end(controller) {
  if (pending === controller) {
    pending = null;
  }
}

/** base64url (padded or not) to an ArrayBuffer. */
function bytes(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(b64 + "===".slice((b64.length + 3) % 4));
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    out[i] = raw.charCodeAt(i);
  }
  return out.buffer;
}

/** An ArrayBuffer (or view) to base64url without padding. */
function text(buffer) {
  if (buffer === null || buffer === undefined) {
    return null;
  }
  const view = buffer instanceof ArrayBuffer
    ? new Uint8Array(buffer)
    : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let raw = "";
  for (let i = 0; i < view.length; i++) {
    raw += String.fromCharCode(view[i]);
  }
  return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The `publicKey` member of the server's options (JSON text). Members the
 * server wrote as null are left out: WebIDL reads null as a wrong value
 * for a list or a number, where a missing member takes its default.
 */
function publicKeyOf(options) {
  return JSON.parse(options, (_key, value) => (value === null ? undefined : value)).publicKey;
}

function withIds(list) {
  return list ? list.map((c) => ({ ...c, id: bytes(c.id) })) : list;
}

/**
 * Sign in: `options` is the server's JSON text ({"publicKey": {...}});
 * `conditional` asks for the autofill list instead of a dialog. Resolves
 * to the assertion as JSON text.
 */
export async function get(options, conditional) {
  const publicKey = publicKeyOf(options);
  publicKey.challenge = bytes(publicKey.challenge);
  publicKey.allowCredentials = withIds(publicKey.allowCredentials);
  const controller = begin();
  const request = { publicKey, signal: controller.signal };
  if (conditional) {
    request.mediation = "conditional";
  }
  let credential;
  try {
    credential = await navigator.credentials.get(request);
  } finally {
    end(controller);
  }
  if (!credential) {
    throw new Error("no credential");
  }
  const r = credential.response;
  return JSON.stringify({
    id: credential.id,
    rawId: text(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: text(r.authenticatorData),
      clientDataJSON: text(r.clientDataJSON),
      signature: text(r.signature),
      userHandle: text(r.userHandle),
    },
    extensions: credential.getClientExtensionResults(),
  });
}

/**
 * Add a passkey: `options` is the server's JSON text ({"publicKey":
 * {...}}). Resolves to the new credential as JSON text.
 */
export async function create(options) {
  const publicKey = publicKeyOf(options);
  publicKey.challenge = bytes(publicKey.challenge);
  publicKey.user = { ...publicKey.user, id: bytes(publicKey.user.id) };
  publicKey.excludeCredentials = withIds(publicKey.excludeCredentials);
  const controller = begin();
  let credential;
  try {
    credential = await navigator.credentials.create({ publicKey, signal: controller.signal });
  } finally {
    end(controller);
  }
  if (!credential) {
    throw new Error("no credential");
  }
  const r = credential.response;
  return JSON.stringify({
    id: credential.id,
    rawId: text(credential.rawId),
    type: credential.type,
    response: {
      attestationObject: text(r.attestationObject),
      clientDataJSON: text(r.clientDataJSON),
      transports: typeof r.getTransports === "function" ? r.getTransports() : [],
    },
    extensions: credential.getClientExtensionResults(),
  });
}
