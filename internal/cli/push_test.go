package cli

import "testing"

// The shared pace of a bot is keyed by its public id, never by the secret part of the token.
func TestTelegramBotID(t *testing.T) {
	for token, want := range map[string]string{"123456:AAE-secret": "123456", "no-colon-secret": "", "": ""} {
		if got := telegramBotID(token); got != want {
			t.Errorf("telegramBotID(%q) = %q, want %q", token, got, want)
		}
	}
}
