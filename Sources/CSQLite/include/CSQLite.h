// The module's umbrella header: SQLite's own header, plus what Swift cannot spell from it.
#ifndef CSQLITE_H
#define CSQLITE_H

#include "sqlite3.h"

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift does not import: these bind a
// copy of the bytes, so the caller's buffer may go away as soon as the call returns.
static inline int csqlite_bind_text_copy(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

static inline int csqlite_bind_blob_copy(sqlite3_stmt *statement, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(statement, index, bytes, length, SQLITE_TRANSIENT);
}

#endif
