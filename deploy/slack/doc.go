// Package slackmanifest holds patchgate's Slack app manifest
// (manifest.yaml) and the test that keeps its scopes equal to the Web API
// methods the bot calls. It has no code of its own.
package slackmanifest
