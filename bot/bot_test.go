package bot_test

import (
	"slices"
	"testing"

	"windowbot/bot"
)

func TestChoiceNumbers(t *testing.T) {
	levels := []bot.Button{
		{Label: "非常满意", Payload: "rate:level:5", Num: 5},
		{Label: "满意", Payload: "rate:level:4", Num: 4},
		{Label: "基本满意", Payload: "rate:level:3", Num: 3},
		{Label: "不满意", Payload: "rate:level:2", Num: 2},
		{Label: "非常不满意", Payload: "rate:level:1", Num: 1},
	}
	plain := []bot.Button{{Label: "a", Payload: "a"}, {Label: "b", Payload: "b"}, {Label: "c", Payload: "c"}}
	mixed := []bot.Button{{Label: "yes", Payload: "y", Num: 9}, {Label: "no", Payload: "n"}}
	for _, tc := range []struct {
		name    string
		choices []bot.Button
		nums    []int
		typed   int
		payload string // "" when the number answers nothing
	}{
		{"level 5 is five stars", levels, []int{5, 4, 3, 2, 1}, 5, "rate:level:5"},
		{"level 1 is one star", levels, []int{5, 4, 3, 2, 1}, 1, "rate:level:1"},
		{"level 4", levels, []int{5, 4, 3, 2, 1}, 4, "rate:level:4"},
		{"no level 6", levels, []int{5, 4, 3, 2, 1}, 6, ""},
		{"no level 0", levels, []int{5, 4, 3, 2, 1}, 0, ""},
		{"position without numbers", plain, []int{1, 2, 3}, 1, "a"},
		{"last position", plain, []int{1, 2, 3}, 3, "c"},
		{"past the end", plain, []int{1, 2, 3}, 4, ""},
		{"own number where some carry one", mixed, []int{9, 0}, 9, "y"},
		{"no position where some carry one", mixed, []int{9, 0}, 2, ""},
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
