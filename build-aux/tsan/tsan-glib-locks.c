/* tsan-glib-locks.c: linked into every program of the ThreadSanitizer
 * build only (-Db_sanitize=thread; docs/RELIABILITY.md, "Threads").
 *
 * GLib is not instrumented and, on Linux, GMutex and GCond are futexes, not
 * pthread mutexes: TSan would not see them, and would report every access
 * our code makes under a GMutex as a race. These definitions take the place
 * of GLib's for calls from our code: each calls GLib's own function and
 * tells TSan what it did, with TSan's mutex annotations. GLib's calls to
 * itself are direct (it links with -Bsymbolic-functions) and stay unseen;
 * the engine does not rely on them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <glib.h>
#include <sanitizer/tsan_interface.h>
#include <stdlib.h>

/* GLib's function `name`, found on first use (which may come from another
 * library's constructor, before any of ours ran); atomic, so that TSan
 * does not see a race on the cache itself. */
#define REAL(type, name)                                              \
  static type real_##name;                                            \
  type name##_real = __atomic_load_n (&real_##name, __ATOMIC_ACQUIRE); \
  if (name##_real == NULL)                                            \
    {                                                                 \
      name##_real = (type) next (#name);                              \
      __atomic_store_n (&real_##name, name##_real, __ATOMIC_RELEASE); \
    }

typedef void (*MutexFunc) (GMutex *);
typedef gboolean (*TrylockFunc) (GMutex *);
typedef void (*WaitFunc) (GCond *, GMutex *);
typedef gboolean (*WaitUntilFunc) (GCond *, GMutex *, gint64);

static void *
next (const char *name)
{
  void *f = dlsym (RTLD_NEXT, name);
  if (f == NULL)
    abort ();
  return f;
}

void
g_mutex_init (GMutex *mutex)
{
  REAL (MutexFunc, g_mutex_init)

  g_mutex_init_real (mutex);
  __tsan_mutex_create (mutex, 0);
}

void
g_mutex_clear (GMutex *mutex)
{
  REAL (MutexFunc, g_mutex_clear)

  __tsan_mutex_destroy (mutex, 0);
  g_mutex_clear_real (mutex);
}

void
g_mutex_lock (GMutex *mutex)
{
  REAL (MutexFunc, g_mutex_lock)

  __tsan_mutex_pre_lock (mutex, 0);
  g_mutex_lock_real (mutex);
  __tsan_mutex_post_lock (mutex, 0, 0);
}

gboolean
g_mutex_trylock (GMutex *mutex)
{
  gboolean locked;
  REAL (TrylockFunc, g_mutex_trylock)


  __tsan_mutex_pre_lock (mutex, __tsan_mutex_try_lock);
  locked = g_mutex_trylock_real (mutex);
  __tsan_mutex_post_lock (mutex, __tsan_mutex_try_lock
                          | (locked ? 0 : __tsan_mutex_try_lock_failed), 0);
  return locked;
}

void
g_mutex_unlock (GMutex *mutex)
{
  REAL (MutexFunc, g_mutex_unlock)

  __tsan_mutex_pre_unlock (mutex, 0);
  g_mutex_unlock_real (mutex);
  __tsan_mutex_post_unlock (mutex, 0);
}

/* The wait unlocks and relocks the mutex inside GLib: say so around it. */
void
g_cond_wait (GCond *cond, GMutex *mutex)
{
  REAL (WaitFunc, g_cond_wait)

  __tsan_mutex_pre_unlock (mutex, 0);
  __tsan_mutex_post_unlock (mutex, 0);
  g_cond_wait_real (cond, mutex);
  __tsan_mutex_pre_lock (mutex, 0);
  __tsan_mutex_post_lock (mutex, 0, 0);
}

gboolean
g_cond_wait_until (GCond *cond, GMutex *mutex, gint64 end_time)
{
  gboolean signalled;
  REAL (WaitUntilFunc, g_cond_wait_until)


  __tsan_mutex_pre_unlock (mutex, 0);
  __tsan_mutex_post_unlock (mutex, 0);
  signalled = g_cond_wait_until_real (cond, mutex, end_time);
  __tsan_mutex_pre_lock (mutex, 0);
  __tsan_mutex_post_lock (mutex, 0, 0);
  return signalled;
}
