package bot_test

import (
	"slices"
	"testing"

	"windowbot/bot"
)

// TestChoiceNumbers: a choice's number is its line, from 1, in every list — the rating levels
// too, shown 非常满意 … 非常不满意, where 1 is 非常满意 (the first line), never one star.
func TestChoiceNumbers(t *testing.T) {
	levels := []bot.Button{
		{Label: "非常满意", Payload: "rate:level:5"},
		{Label: "满意", Payload: "rate:level:4"},
		{Label: "基本满意", Payload: "rate:level:3"},
		{Label: "不满意", Payload: "rate:level:2"},
		{Label: "非常不满意", Payload: "rate:level:1"},
	}
	plain := []bot.Button{{Label: "a", Payload: "a"}, {Label: "b", Payload: "b"}, {Label: "c", Payload: "c"}}
	for _, tc := range []struct {
		name    string
		choices []bot.Button
		nums    []int
		typed   int
		payload string // "" when the number answers nothing
	}{
		{"1 is the first line", levels, []int{1, 2, 3, 4, 5}, 1, "rate:level:5"},
		{"5 is the last line", levels, []int{1, 2, 3, 4, 5}, 5, "rate:level:1"},
		{"2 is the second line", levels, []int{1, 2, 3, 4, 5}, 2, "rate:level:4"},
		{"no line 6", levels, []int{1, 2, 3, 4, 5}, 6, ""},
		{"no line 0", levels, []int{1, 2, 3, 4, 5}, 0, ""},
		{"no line -1", levels, []int{1, 2, 3, 4, 5}, -1, ""},
		{"position", plain, []int{1, 2, 3}, 1, "a"},
		{"last position", plain, []int{1, 2, 3}, 3, "c"},
		{"past the end", plain, []int{1, 2, 3}, 4, ""},
		{"nothing offered", nil, []int{}, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bot.ChoiceNumbers(tc.choices); !slices.Equal(got, tc.nums) {
				t.Errorf("ChoiceNumbers = %v, want %v", got, tc.nums)
			}
			c, ok := bot.ChoiceByNumber(tc.choices, tc.typed)
			if ok != (tc.payload != "") || c.Payload != tc.payload {
				t.Errorf("ChoiceByNumber(%d) = %+v, %t; want payload %q", tc.typed, c, ok, tc.payload)
			}
		})
	}
}
