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

// FillDir is Fill on the data dir dir (of a served Portico, say), as a
// second process would write it.
func FillDir(t TB, dir, table string, n int, columns map[string]string) {
	t.Helper()
	app := OpenDir(t, dir)
	defer Close(app)
	if err := Fill(app.NonconcurrentDB(), table, n, columns); err != nil {
		t.Fatalf("filling %s with %d rows: %v", table, n, err)
	}
}

// AuthColumns are the Fill columns every auth record has, for rows whose
// ids and token keys start with key and whose address is the SQL
// expression email: no password, email hidden, verified as said, created
// and updated now; then columns, the collection's own.
func AuthColumns(key, email string, verified bool, columns map[string]string) map[string]string {
	all := map[string]string{
		"id":              fmt.Sprintf("printf('%s%%0%dd', i)", key, 15-len(key)),
		"tokenKey":        fmt.Sprintf("printf('%s%%0%dd', i)", key, 50-len(key)),
		"email":           email,
		"emailVisibility": "0",
		"verified":        "0",
		"password":        "''",
		"created":         "strftime('%Y-%m-%d %H:%M:%fZ', 'now')",
		"updated":         "strftime('%Y-%m-%d %H:%M:%fZ', 'now')",
	}
	if verified {
		all["verified"] = "1"
	}
	maps.Copy(all, columns)
	return all
}
