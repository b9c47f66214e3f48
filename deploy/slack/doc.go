// Package slackmanifest holds patchgate's Slack app manifest
// (manifest.yaml), the test that keeps its scopes equal to the Web API
// methods the bot calls, and BotScopes, which `patchgate doctor` compares
// with the scopes a token was granted.
package slackmanifest
