package redisstore

import (
	"fmt"
	"strconv"
)

// Lua replies arrive as int64 (Lua numbers), string (bulk strings) or nil
// (Lua false). These helpers read them without trusting the shape blindly.

func replyArray(v any) ([]any, error) {
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return nil, fmt.Errorf("unexpected script reply %#v", v)
	}
	return a, nil
}

func replyInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected number %q in script reply", x)
		}
		return n, nil
	case nil:
		return 0, nil
	}
	return 0, fmt.Errorf("unexpected value %#v in script reply", v)
}

func replyString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}
