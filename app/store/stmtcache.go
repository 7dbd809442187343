package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// The SQLite driver compiles every statement it is given from scratch, and ent's queries
// name every column, so compiling costs more than running them: on the run report's
// queries about two thirds of the time went to SQLite's parser. stmtCacheConnector keeps
// each connection's compiled statements by their text and reuses them; the driver resets
// a statement when its rows are closed, so it can run again with new arguments.
//
// database/sql uses a connection from one goroutine at a time, but a transaction may run
// a query while the rows of another are still open, and those could be the same
// statement: a statement in use is never handed out twice (the second caller compiles a
// throwaway one), and one evicted while in use is closed when its rows are.
type stmtCacheConnector struct {
	inner driver.Connector
	size  int
	stats StmtCacheStats
}

// StmtCacheStats counts what the SQLite statement cache did, for tests and benchmarks.
type StmtCacheStats struct {
	Hits, Misses, Bypassed atomic.Int64
}

func (c *stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	q, qok := conn.(driver.QueryerContext)
	e, eok := conn.(driver.ExecerContext)
	p, pok := conn.(driver.ConnPrepareContext)
	if !qok || !eok || !pok {
		return conn, nil // nothing to wrap: the driver is not the one this was written for
	}
	cc := &cachingConn{Conn: conn, queryer: q, execer: e, preparer: p, stats: &c.stats}
	cc.lru, err = simplelru.NewLRU(c.size, func(_ string, s *cachedStmt) {
		if s.busy {
			s.evicted = true // its rows close it
			return
		}
		_ = s.stmt.Close()
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return cc, nil
}

func (c *stmtCacheConnector) Driver() driver.Driver { return c.inner.Driver() }

type cachedStmt struct {
	stmt    driver.Stmt
	query   driver.StmtQueryContext
	exec    driver.StmtExecContext
	busy    bool // rows are open or an exec is running
	evicted bool // dropped from the cache while busy; close on release
}

type cachingConn struct {
	driver.Conn
	queryer  driver.QueryerContext
	execer   driver.ExecerContext
	preparer driver.ConnPrepareContext
	stats    *StmtCacheStats

	mu  sync.Mutex
	lru *simplelru.LRU[string, *cachedStmt]
}

// cacheable reports whether a statement is worth keeping: one statement (a script is
// recompiled statement by statement anyway) of a sensible length (long IN lists are
// one-offs).
func cacheable(query string) bool {
	if len(query) > 8<<10 {
		return false
	}
	i := strings.IndexByte(query, ';')
	return i < 0 || strings.TrimSpace(query[i+1:]) == ""
}

// acquire returns the cached statement for query, compiling it on a miss, marked busy; nil
// when the caller should run the query uncached.
func (c *cachingConn) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		c.stats.Bypassed.Add(1)
		return nil, nil
	}
	c.mu.Lock()
	s, ok := c.lru.Get(query)
	if ok {
		if s.busy {
			c.mu.Unlock()
			c.stats.Bypassed.Add(1)
			return nil, nil
		}
		s.busy = true
		c.mu.Unlock()
		c.stats.Hits.Add(1)
		return s, nil
	}
	c.mu.Unlock()
	st, err := c.preparer.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	sq, qok := st.(driver.StmtQueryContext)
	se, eok := st.(driver.StmtExecContext)
	if !qok || !eok {
		_ = st.Close()
		c.stats.Bypassed.Add(1)
		return nil, nil
	}
	s = &cachedStmt{stmt: st, query: sq, exec: se, busy: true}
	c.mu.Lock()
	c.lru.Add(query, s)
	c.mu.Unlock()
	c.stats.Misses.Add(1)
	return s, nil
}

func (c *cachingConn) release(s *cachedStmt) error {
	c.mu.Lock()
	s.busy = false
	evicted := s.evicted
	c.mu.Unlock()
	if evicted {
		return s.stmt.Close()
	}
	return nil
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.queryer.QueryContext(ctx, query, args)
	}
	rows, err := s.query.QueryContext(ctx, args)
	if err != nil {
		return nil, errors.Join(err, c.release(s))
	}
	return &cachedRows{Rows: rows, conn: c, stmt: s}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.execer.ExecContext(ctx, query, args)
	}
	res, err := s.exec.ExecContext(ctx, args)
	if rerr := c.release(s); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return res, err
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.preparer.PrepareContext(ctx, query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // only for drivers without BeginTx
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// Close closes every cached statement, then the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	var errs []error
	for _, s := range c.lru.Values() {
		if !s.busy {
			errs = append(errs, s.stmt.Close())
		}
	}
	c.lru.Purge()
	c.mu.Unlock()
	return errors.Join(append(errs, c.Conn.Close())...)
}

// cachedRows hands the statement back when closed. The column-type methods pass through
// to the driver's rows, or give database/sql's own defaults when it has none.
type cachedRows struct {
	driver.Rows
	conn   *cachingConn
	stmt   *cachedStmt
	closed bool
}

func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	return errors.Join(err, r.conn.release(r.stmt))
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
