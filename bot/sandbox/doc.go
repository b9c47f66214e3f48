// Package sandbox is a local stand-in for Slack that speaks Slack's own wire
// formats: the Web API methods patchgate calls (chat, files v2, users,
// usergroups, apps.connections.open), Socket Mode (hello, envelopes, acks,
// retries, refresh disconnects) and response_url hooks. The real slack-go
// client and its socketmode client talk to it unchanged, pointed at APIURL.
//
// It serves a web page too, so one person in a browser can play every role
// of the demo (requester, approvers, outsider): messages rendered from Block
// Kit, threads, files, a /patch box and buttons whose clicks travel to the
// bot as block_actions envelopes, exactly as Slack would send them.
//
// End-to-end tests drive the same paths through SlashCommand and Click and
// inspect the result with Messages, Ephemerals, Files, Calls and Acks.
// Nothing here is used in production: the bot never imports this package.
//
// Stable hooks on the page, for browser tests: open "/?user=U…" to act as a
// user; #user-select switches user; #command-input takes "/patch …" (Enter
// sends); each message is .msg[data-ts] (ephemeral ones also .ephemeral,
// edits bump data-edited); buttons are button[data-action-id][data-ts]
// (with data-value, data-block-id); threads are details.thread
// [data-thread-ts]; files are a.file[data-file-id]; failures show in
// #notice; body[data-version] changes on every update.
package sandbox
