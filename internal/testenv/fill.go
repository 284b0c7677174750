package testenv

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
)

// Fill inserts n rows into table in one statement: each column is an SQL
// expression of the row's number i (1 to n), such as
// "printf('client%05d@example.test', i)". Tens of thousands of rows take
// well under a second, for tests and benchmarks about volume; it bypasses
// PocketBase's record hooks, so the rows must be complete as they are.
func Fill(db dbx.Builder, table string, n int, columns map[string]string) error {
	names := slices.Sorted(maps.Keys(columns))
	values := make([]string, len(names))
	for i, name := range names {
		values[i] = columns[name]
		names[i] = "`" + name + "`"
	}
	_, err := db.NewQuery(fmt.Sprintf(
		"INSERT INTO `%s` (%s) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) SELECT %s FROM n",
		table, strings.Join(names, ", "), n, strings.Join(values, ", "),
	)).Execute()
	return err
}

// Fill inserts n rows into table of Portico's data.db; see Fill.
func (env *Env) Fill(table string, n int, columns map[string]string) {
	env.T.Helper()
	if err := Fill(env.App.NonconcurrentDB(), table, n, columns); err != nil {
		env.T.Fatalf("filling %s with %d rows: %v", table, n, err)
	}
}
