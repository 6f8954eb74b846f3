// Package deps pins the chosen dependencies in go.mod while the packages that use them are being
// written. Remove it once every dependency is imported by real code.
package deps

import (
	_ "github.com/glebarez/sqlite"
	_ "github.com/go-telegram/bot"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/redis/go-redis/v9"
	_ "github.com/robfig/cron/v3"
	_ "github.com/silenceper/wechat/v2/officialaccount"
	_ "github.com/skip2/go-qrcode"
	_ "golang.org/x/image/font/opentype"
	_ "gopkg.in/yaml.v3"
	_ "gorm.io/driver/postgres"
	_ "gorm.io/gorm"
)
