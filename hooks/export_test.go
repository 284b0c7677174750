package hooks

// DueRemindersQuery lets the tests ask SQLite how it plans the sweep.
var DueRemindersQuery = dueRemindersQuery
