package reminders

// DueQuery lets the tests ask SQLite how it plans the sweep.
var DueQuery = dueQuery
