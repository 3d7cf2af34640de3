// Passkeys and security keys: run navigator.credentials.create (Set up device) or
// navigator.credentials.get (the MFA sign-in step) with the options the server put in
// the page (a JSON data block, no inline script), then post the browser's answer as
// JSON in the form's "credential" field. The server checks everything; this only
// converts between base64url strings and the ArrayBuffers the WebAuthn API uses.
(function () {
  var data = document.getElementById("webauthn-options");
  if (!data) return;
  var error = document.querySelector("[data-webauthn-error]");

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBuffer(item.id), transports: item.transports };
    });
  }

  function creationOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    return { publicKey: options };
  }

  function requestOptions(options) {
    options.challenge = toBuffer(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    return { publicKey: options };
  }

  function registrationJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toText(response.clientDataJSON),
        attestationObject: toText(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  function authenticationJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toText(response.clientDataJSON),
        authenticatorData: toText(response.authenticatorData),
        signature: toText(response.signature),
        userHandle: response.userHandle ? toText(response.userHandle) : undefined,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  function fail(message) {
    if (!error) return;
    error.textContent = message;
    error.hidden = false;
  }

  document.querySelectorAll("[data-webauthn-start]").forEach(function (button) {
    var form = document.getElementById(button.getAttribute("data-webauthn-start"));
    if (!form) return;
    var create = form.getAttribute("data-webauthn") === "create";
    button.addEventListener("click", function () {
      if (!window.PublicKeyCredential || !navigator.credentials) {
        fail("This browser does not support passkeys or security keys.");
        return;
      }
      var options = JSON.parse(data.textContent);
      button.disabled = true;
      var call = create
        ? navigator.credentials.create(creationOptions(options))
        : navigator.credentials.get(requestOptions(options));
      call
        .then(function (credential) {
          var json = create ? registrationJSON(credential) : authenticationJSON(credential);
          form.querySelector('input[name="credential"]').value = JSON.stringify(json);
          form.submit();
        })
        .catch(function () {
          // The options' challenge may still be unused: reloading the page gets a new one.
          button.disabled = false;
          fail("Your passkey or security key was not used. Try again.");
        });
    });
  });
})();
