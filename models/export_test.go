package models

import "gorm.io/gorm"

// DB is the store's own connection pool, for the tests of this package that check how the store
// is set up (its pool, its pragmas, its error translation) or write rows no method writes.
func (s *Store) DB() *gorm.DB { return s.db }

// Configure applies opts to an open store, for the tests of this package that share one store
// across helpers which each want their own settings.
func Configure(s *Store, opts ...Option) {
	for _, o := range opts {
		o(s)
	}
}
