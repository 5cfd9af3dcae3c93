/* gabn-pickle.c: the restricted unpickler behind the .pth importer.
 *
 * A pickle is a program for a stack machine; Python's unpickler imports
 * whatever module a GLOBAL names and calls it on REDUCE. This reader runs
 * the same stack machine over values of its own (gabn-pickle.h) and knows
 * only the opcodes that build plain data, plus a fixed allow-list of
 * globals, each applied here as data: OrderedDict() is an empty dict,
 * _rebuild_tensor_v2 (storage, offset, size, stride, …) a tensor view,
 * _rebuild_parameter (tensor, …) the tensor, and the storage types only
 * name an element type inside a persistent id. Anything else — another
 * global, an object-building opcode (INST, OBJ, NEWOBJ, EXT*), a protocol
 * 0 text opcode — stops the read with an error; nothing is imported or
 * called, whatever the file says. Every value lives in one arena owned by
 * the GabnPickle, so memo sharing and cycles need no reference counts.
 *
 * Opcodes as CPython's Lib/pickle.py and pickletools.py define them; what
 * torch.save (protocol 2 by default) emits is PROTO, GLOBAL, BINPUT, BINGET,
 * LONG_BINPUT, EMPTY_TUPLE, TUPLE*, REDUCE, MARK, BINUNICODE, BININT*,
 * BINPERSID, NEWFALSE/NEWTRUE, EMPTY_DICT, SETITEM(S), BUILD and STOP;
 * protocol 4 adds FRAME, SHORT_BINUNICODE, STACK_GLOBAL and MEMOIZE. */
#include "gabn-pickle.h"

#include <glib/gi18n.h>
#include <string.h>

#include "gabn-safetensors.h"   /* gabn_file_error */

struct _GabnPickle {
  GPtrArray *arena;              /* every GabnPickleValue, owned */
  const GabnPickleValue *root;
};

/* ---- The allow-list --------------------------------------------------- */

enum {
  G_ORDERED_DICT,
  G_REBUILD_TENSOR_V2,
  G_REBUILD_PARAMETER,
  G_REBUILD_PARAMETER_WITH_STATE,
  G_FIRST_STORAGE,
};

typedef struct {
  const char *module, *name;
  GabnDtype dtype;     /* storage types only */
  gsize elsize;        /* storage types only */
} Global;

static const Global globals[] = {
  { "collections", "OrderedDict", GABN_DTYPE_UNKNOWN, 0 },
  { "torch._utils", "_rebuild_tensor_v2", GABN_DTYPE_UNKNOWN, 0 },
  { "torch._utils", "_rebuild_parameter", GABN_DTYPE_UNKNOWN, 0 },
  { "torch._utils", "_rebuild_parameter_with_state", GABN_DTYPE_UNKNOWN, 0 },
  /* G_FIRST_STORAGE: type markers inside persistent ids. The ones we
   * cannot convert are still data: such a tensor is refused only if a
   * model needs it. */
  { "torch", "FloatStorage", GABN_DTYPE_F32, 4 },
  { "torch", "HalfStorage", GABN_DTYPE_F16, 2 },
  { "torch", "BFloat16Storage", GABN_DTYPE_BF16, 2 },
  { "torch", "DoubleStorage", GABN_DTYPE_F64, 8 },
  { "torch", "LongStorage", GABN_DTYPE_I64, 8 },
  { "torch", "IntStorage", GABN_DTYPE_I32, 4 },
  { "torch", "ShortStorage", GABN_DTYPE_UNKNOWN, 2 },
  { "torch", "CharStorage", GABN_DTYPE_UNKNOWN, 1 },
  { "torch", "ByteStorage", GABN_DTYPE_UNKNOWN, 1 },
  { "torch", "BoolStorage", GABN_DTYPE_UNKNOWN, 1 },
  { "torch", "ComplexFloatStorage", GABN_DTYPE_UNKNOWN, 8 },
  { "torch", "ComplexDoubleStorage", GABN_DTYPE_UNKNOWN, 16 },
};

/* ---- Opcodes ----------------------------------------------------------- */

enum {
  OP_MARK = '(', OP_STOP = '.', OP_POP = '0', OP_POP_MARK = '1', OP_DUP = '2',
  OP_BININT = 'J', OP_BININT1 = 'K', OP_BININT2 = 'M', OP_NONE = 'N',
  OP_BINPERSID = 'Q', OP_REDUCE = 'R', OP_BINUNICODE = 'X', OP_APPEND = 'a',
  OP_BUILD = 'b', OP_GLOBAL = 'c', OP_DICT = 'd', OP_EMPTY_DICT = '}',
  OP_APPENDS = 'e', OP_BINGET = 'h', OP_LONG_BINGET = 'j', OP_LIST = 'l',
  OP_EMPTY_LIST = ']', OP_BINPUT = 'q', OP_LONG_BINPUT = 'r', OP_SETITEM = 's',
  OP_TUPLE = 't', OP_EMPTY_TUPLE = ')', OP_SETITEMS = 'u', OP_BINFLOAT = 'G',
  OP_BINBYTES = 'B', OP_SHORT_BINBYTES = 'C',
  OP_PROTO = 0x80, OP_TUPLE1 = 0x85, OP_TUPLE2 = 0x86, OP_TUPLE3 = 0x87,
  OP_NEWTRUE = 0x88, OP_NEWFALSE = 0x89, OP_LONG1 = 0x8a, OP_LONG4 = 0x8b,
  OP_SHORT_BINUNICODE = 0x8c, OP_BINUNICODE8 = 0x8d, OP_BINBYTES8 = 0x8e,
  OP_STACK_GLOBAL = 0x93, OP_MEMOIZE = 0x94, OP_FRAME = 0x95,
};

/* Names of every pickle opcode, for the message that refuses one. */
static const char *
opcode_name (guint8 op)
{
  static const struct { guint8 op; const char *name; } names[] = {
    { '(', "MARK" }, { '.', "STOP" }, { '0', "POP" }, { '1', "POP_MARK" },
    { '2', "DUP" }, { 'F', "FLOAT" }, { 'I', "INT" }, { 'J', "BININT" },
    { 'K', "BININT1" }, { 'L', "LONG" }, { 'M', "BININT2" }, { 'N', "NONE" },
    { 'P', "PERSID" }, { 'Q', "BINPERSID" }, { 'R', "REDUCE" }, { 'S', "STRING" },
    { 'T', "BINSTRING" }, { 'U', "SHORT_BINSTRING" }, { 'V', "UNICODE" },
    { 'X', "BINUNICODE" }, { 'a', "APPEND" }, { 'b', "BUILD" }, { 'c', "GLOBAL" },
    { 'd', "DICT" }, { '}', "EMPTY_DICT" }, { 'e', "APPENDS" }, { 'g', "GET" },
    { 'h', "BINGET" }, { 'i', "INST" }, { 'j', "LONG_BINGET" }, { 'l', "LIST" },
    { ']', "EMPTY_LIST" }, { 'o', "OBJ" }, { 'p', "PUT" }, { 'q', "BINPUT" },
    { 'r', "LONG_BINPUT" }, { 's', "SETITEM" }, { 't', "TUPLE" },
    { ')', "EMPTY_TUPLE" }, { 'u', "SETITEMS" }, { 'G', "BINFLOAT" },
    { 'B', "BINBYTES" }, { 'C', "SHORT_BINBYTES" },
    { 0x80, "PROTO" }, { 0x81, "NEWOBJ" }, { 0x82, "EXT1" }, { 0x83, "EXT2" },
    { 0x84, "EXT4" }, { 0x85, "TUPLE1" }, { 0x86, "TUPLE2" }, { 0x87, "TUPLE3" },
    { 0x88, "NEWTRUE" }, { 0x89, "NEWFALSE" }, { 0x8a, "LONG1" }, { 0x8b, "LONG4" },
    { 0x8c, "SHORT_BINUNICODE" }, { 0x8d, "BINUNICODE8" }, { 0x8e, "BINBYTES8" },
    { 0x8f, "EMPTY_SET" }, { 0x90, "ADDITEMS" }, { 0x91, "FROZENSET" },
    { 0x92, "NEWOBJ_EX" }, { 0x93, "STACK_GLOBAL" }, { 0x94, "MEMOIZE" },
    { 0x95, "FRAME" }, { 0x96, "BYTEARRAY8" }, { 0x97, "NEXT_BUFFER" },
    { 0x98, "READONLY_BUFFER" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (names[i].op == op)
      return names[i].name;
  return NULL;
}

const char *
gabn_pickle_kind_name (GabnPickleKind kind)
{
  switch (kind)
    {
    case GABN_PICKLE_NONE: return "None";
    case GABN_PICKLE_BOOL: return "bool";
    case GABN_PICKLE_INT: return "int";
    case GABN_PICKLE_FLOAT: return "float";
    case GABN_PICKLE_STRING: return "str";
    case GABN_PICKLE_BYTES: return "bytes";
    case GABN_PICKLE_TUPLE: return "tuple";
    case GABN_PICKLE_LIST: return "list";
    case GABN_PICKLE_DICT: return "dict";
    case GABN_PICKLE_GLOBAL: return "global";
    case GABN_PICKLE_STORAGE: return "storage";
    case GABN_PICKLE_TENSOR: return "tensor";
    default: return "?";
    }
}

/* ---- Values ------------------------------------------------------------- */

static void
value_free (gpointer p)
{
  GabnPickleValue *v = p;

  switch (v->kind)
    {
    case GABN_PICKLE_STRING:
    case GABN_PICKLE_BYTES:
      g_free (v->str.data);
      break;
    case GABN_PICKLE_TUPLE:
    case GABN_PICKLE_LIST:
      g_ptr_array_unref (v->items);
      break;
    case GABN_PICKLE_DICT:
      g_ptr_array_unref (v->dict.keys);
      g_ptr_array_unref (v->dict.values);
      break;
    default:
      break;
    }
  g_free (v);
}

typedef struct {
  const guint8 *start, *p, *end;
  const char *path, *entry;
  GPtrArray *arena;
  GPtrArray *stack;      /* GabnPickleValue, borrowed from the arena */
  GArray *marks;         /* guint: stack heights at each MARK */
  GHashTable *memo;      /* index → value */
  gsize op_at;           /* offset of the opcode being run */
  GError **error;
} Reader;

static GabnPickleValue *
value_new (Reader *r, GabnPickleKind kind)
{
  GabnPickleValue *v = g_new0 (GabnPickleValue, 1);

  v->kind = kind;
  if (kind == GABN_PICKLE_TUPLE || kind == GABN_PICKLE_LIST)
    v->items = g_ptr_array_new ();
  else if (kind == GABN_PICKLE_DICT)
    {
      v->dict.keys = g_ptr_array_new ();
      v->dict.values = g_ptr_array_new ();
    }
  g_ptr_array_add (r->arena, v);
  return v;
}

static gboolean fail (Reader *r, int code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Reader *r, int code, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return gabn_file_error (r->error, code, r->path, _("%s: byte %lu: %s"), r->entry,
                          (unsigned long) r->op_at, message);
}

/* ---- The stack ---------------------------------------------------------- */

static guint
stack_base (Reader *r)
{
  return r->marks->len ? g_array_index (r->marks, guint, r->marks->len - 1) : 0;
}

static gboolean
push (Reader *r, const GabnPickleValue *v)
{
  g_ptr_array_add (r->stack, (gpointer) v);
  return TRUE;
}

/* The value depth places below the top (0: the top), within the current
 * mark's frame; NULL, with the error set, when there are not that many. */
static GabnPickleValue *
peek (Reader *r, guint depth)
{
  if (r->stack->len < stack_base (r) + depth + 1)
    {
      fail (r, GABN_ERROR_INVALID_FILE, _("stack underflow (a corrupt pickle)"));
      return NULL;
    }
  return r->stack->pdata[r->stack->len - 1 - depth];
}

static GabnPickleValue *
pop (Reader *r)
{
  GabnPickleValue *v = peek (r, 0);

  if (v)
    g_ptr_array_set_size (r->stack, r->stack->len - 1);
  return v;
}

/* Ends the innermost mark: *first is the stack index of the first value
 * after it (the caller takes values first.. then truncates the stack). */
static gboolean
pop_mark (Reader *r, guint *first)
{
  if (r->marks->len == 0)
    return fail (r, GABN_ERROR_INVALID_FILE, _("no MARK to close (a corrupt pickle)"));
  *first = g_array_index (r->marks, guint, r->marks->len - 1);
  g_array_set_size (r->marks, r->marks->len - 1);
  return TRUE;
}

/* ---- Reading operands --------------------------------------------------- */

static gboolean
need (Reader *r, gsize n)
{
  if ((gsize) (r->end - r->p) < n)
    return fail (r, GABN_ERROR_INVALID_FILE,
                 _("the pickle ends inside an operand (truncated)"));
  return TRUE;
}

static guint64
read_le (Reader *r, int n)
{
  guint64 v = 0;

  for (int i = n - 1; i >= 0; i--)
    v = (v << 8) | r->p[i];
  r->p += n;
  return v;
}

/* A length operand of n bytes, checked against what is left. */
static gboolean
read_length (Reader *r, int n, gsize *len)
{
  guint64 v;

  if (!need (r, n))
    return FALSE;
  v = read_le (r, n);
  if (v > (guint64) (r->end - r->p))
    return fail (r, GABN_ERROR_INVALID_FILE,
                 _("a string of %llu bytes runs past the end of the pickle (truncated)"),
                 (unsigned long long) v);
  *len = (gsize) v;
  return TRUE;
}

static gboolean
push_string (Reader *r, gsize len, gboolean text)
{
  GabnPickleValue *v;

  if (text && (!g_utf8_validate ((const char *) r->p, (gssize) len, NULL)
               || memchr (r->p, 0, len) != NULL))
    return fail (r, GABN_ERROR_INVALID_FILE, _("a string that is not valid UTF-8 text"));
  v = value_new (r, text ? GABN_PICKLE_STRING : GABN_PICKLE_BYTES);
  v->str.data = g_malloc (len + 1);
  memcpy (v->str.data, r->p, len);
  v->str.data[len] = '\0';
  v->str.len = len;
  r->p += len;
  return push (r, v);
}

static gboolean
push_int (Reader *r, gint64 i)
{
  GabnPickleValue *v = value_new (r, GABN_PICKLE_INT);

  v->i = i;
  return push (r, v);
}

/* LONG1/LONG4: a little-endian two's complement integer of len bytes. */
static gboolean
push_long (Reader *r, gsize len)
{
  guint64 u = 0;

  if (len > 8)
    return fail (r, GABN_ERROR_UNSUPPORTED, _("an integer of %lu bytes is too large"),
                 (unsigned long) len);
  for (gsize i = 0; i < len; i++)
    u |= (guint64) r->p[i] << (8 * i);
  if (len > 0 && len < 8 && (r->p[len - 1] & 0x80))
    u |= G_MAXUINT64 << (8 * len);   /* sign extension */
  r->p += len;
  return push_int (r, (gint64) u);
}

/* ---- Globals ------------------------------------------------------------ */

static gboolean
push_global (Reader *r, const char *module, const char *name)
{
  GabnPickleValue *v;

  for (guint i = 0; i < G_N_ELEMENTS (globals); i++)
    if (g_str_equal (globals[i].module, module) && g_str_equal (globals[i].name, name))
      {
        v = value_new (r, GABN_PICKLE_GLOBAL);
        v->global = (int) i;
        return push (r, v);
      }
  return fail (r, GABN_ERROR_UNSUPPORTED,
               _("the global “%s.%s” is not allowed: a checkpoint is read as data only "
                 "(tensors, dicts, lists, numbers and strings) and nothing in it is run; "
                 "save model.state_dict(), not the model object"),
               module, name);
}

/* GLOBAL's operand: "module\nname\n", printable ASCII. */
static gboolean
read_line (Reader *r, char *buf, gsize size)
{
  gsize n = 0;

  while (r->p < r->end && *r->p != '\n')
    {
      if (n + 1 >= size || *r->p < 0x20 || *r->p > 0x7e)
        return fail (r, GABN_ERROR_INVALID_FILE, _("a GLOBAL operand that is not a short name"));
      buf[n++] = (char) *r->p++;
    }
  if (r->p >= r->end)
    return fail (r, GABN_ERROR_INVALID_FILE, _("the pickle ends inside a GLOBAL (truncated)"));
  r->p++;
  buf[n] = '\0';
  return TRUE;
}

/* ---- Persistent ids and REDUCE ----------------------------------------- */

static gboolean
is_string (const GabnPickleValue *v, const char *s)
{
  return v->kind == GABN_PICKLE_STRING && (s == NULL || g_str_equal (v->str.data, s));
}

/* BINPERSID: torch.save's ('storage', StorageType, key, location, numel). */
static gboolean
persistent_load (Reader *r, const GabnPickleValue *pid)
{
  const GabnPickleValue *type, *key;
  GabnPickleValue *v;

  if (pid->kind != GABN_PICKLE_TUPLE || pid->items->len != 5
      || !is_string (pid->items->pdata[0], "storage"))
    return fail (r, GABN_ERROR_UNSUPPORTED,
                 _("a persistent id that is not a storage ('storage', type, key, "
                   "location, size)"));
  type = pid->items->pdata[1];
  key = pid->items->pdata[2];
  if (type->kind != GABN_PICKLE_GLOBAL || type->global < G_FIRST_STORAGE)
    return fail (r, GABN_ERROR_INVALID_FILE, _("a storage whose type is not a torch storage type"));
  if (!is_string (key, NULL) || key->str.len == 0 || key->str.len > 64
      || strchr (key->str.data, '/') != NULL)
    return fail (r, GABN_ERROR_INVALID_FILE, _("a storage with an invalid key"));
  if (!is_string (pid->items->pdata[3], NULL))
    return fail (r, GABN_ERROR_INVALID_FILE, _("a storage with an invalid location"));
  if (((GabnPickleValue *) pid->items->pdata[4])->kind != GABN_PICKLE_INT
      || ((GabnPickleValue *) pid->items->pdata[4])->i < 0)
    return fail (r, GABN_ERROR_INVALID_FILE, _("a storage with an invalid size"));

  v = value_new (r, GABN_PICKLE_STORAGE);
  v->storage.dtype = globals[type->global].dtype;
  v->storage.elsize = globals[type->global].elsize;
  v->storage.type_name = globals[type->global].name;
  v->storage.key = key->str.data;
  v->storage.numel = ((GabnPickleValue *) pid->items->pdata[4])->i;
  return push (r, v);
}

static gboolean
int_tuple (const GabnPickleValue *v, gint64 *out, int *n)
{
  if (v->kind != GABN_PICKLE_TUPLE || v->items->len > GABN_PICKLE_MAX_DIMS)
    return FALSE;
  for (guint i = 0; i < v->items->len; i++)
    {
      const GabnPickleValue *d = v->items->pdata[i];
      if (d->kind != GABN_PICKLE_INT || d->i < 0)
        return FALSE;
      out[i] = d->i;
    }
  *n = (int) v->items->len;
  return TRUE;
}

/* _rebuild_tensor_v2 (storage, storage_offset, size, stride, requires_grad,
 * backward_hooks[, metadata]): only the view is recorded here; the
 * importer checks it against the storage's bytes. */
static gboolean
rebuild_tensor (Reader *r, const GabnPickleValue *args)
{
  const GabnPickleValue *const *a = (const GabnPickleValue *const *) args->items->pdata;
  GabnPickleValue *v;
  int n_stride = 0;

  if (args->items->len != 6 && args->items->len != 7)
    return fail (r, GABN_ERROR_INVALID_FILE, _("_rebuild_tensor_v2 with %u arguments"),
                 args->items->len);
  if (a[0]->kind != GABN_PICKLE_STORAGE || a[1]->kind != GABN_PICKLE_INT || a[1]->i < 0
      || a[4]->kind != GABN_PICKLE_BOOL)
    return fail (r, GABN_ERROR_INVALID_FILE,
                 _("_rebuild_tensor_v2 without a storage, an offset and requires_grad"));
  v = value_new (r, GABN_PICKLE_TENSOR);
  v->tensor.storage = a[0];
  v->tensor.offset = a[1]->i;
  if (!int_tuple (a[2], v->tensor.shape, &v->tensor.ndim)
      || !int_tuple (a[3], v->tensor.stride, &n_stride) || n_stride != v->tensor.ndim)
    return fail (r, GABN_ERROR_INVALID_FILE,
                 _("a tensor whose size and stride are not matching tuples of at most %d "
                   "non-negative integers"), GABN_PICKLE_MAX_DIMS);
  return push (r, v);
}

static gboolean
reduce (Reader *r)
{
  GabnPickleValue *args = pop (r), *callable = args ? pop (r) : NULL;
  GabnPickleValue *tensor;

  if (callable == NULL)
    return FALSE;
  if (callable->kind != GABN_PICKLE_GLOBAL || args->kind != GABN_PICKLE_TUPLE)
    return fail (r, GABN_ERROR_UNSUPPORTED, _("REDUCE of a %s: only the allowed globals can be applied"),
                 gabn_pickle_kind_name (callable->kind));
  switch (callable->global)
    {
    case G_ORDERED_DICT:
      if (args->items->len != 0)
        return fail (r, GABN_ERROR_UNSUPPORTED, _("OrderedDict with arguments"));
      return push (r, value_new (r, GABN_PICKLE_DICT));
    case G_REBUILD_TENSOR_V2:
      return rebuild_tensor (r, args);
    case G_REBUILD_PARAMETER:
    case G_REBUILD_PARAMETER_WITH_STATE:
      /* (data, requires_grad, backward_hooks[, state]): the data is the value. */
      tensor = args->items->len ? args->items->pdata[0] : NULL;
      if (args->items->len != (callable->global == G_REBUILD_PARAMETER ? 3u : 4u)
          || tensor->kind != GABN_PICKLE_TENSOR)
        return fail (r, GABN_ERROR_INVALID_FILE, _("%s.%s without a tensor"),
                     globals[callable->global].module, globals[callable->global].name);
      return push (r, tensor);
    default:
      return fail (r, GABN_ERROR_UNSUPPORTED,
                   _("%s.%s can only name a storage type in a persistent id"),
                   globals[callable->global].module, globals[callable->global].name);
    }
}

/* ---- The machine -------------------------------------------------------- */

static gboolean
memo_put (Reader *r, guint64 index)
{
  GabnPickleValue *v = peek (r, 0);

  if (v == NULL)
    return FALSE;
  g_hash_table_insert (r->memo, GSIZE_TO_POINTER ((gsize) index), v);
  return TRUE;
}

static gboolean
memo_get (Reader *r, guint64 index)
{
  GabnPickleValue *v = g_hash_table_lookup (r->memo, GSIZE_TO_POINTER ((gsize) index));

  if (v == NULL)
    return fail (r, GABN_ERROR_INVALID_FILE, _("memo entry %llu was never stored"),
                 (unsigned long long) index);
  return push (r, v);
}

static gboolean
set_items (Reader *r, GabnPickleValue *dict, guint first)
{
  if (dict->kind != GABN_PICKLE_DICT)
    return fail (r, GABN_ERROR_INVALID_FILE, _("SETITEM on a %s"), gabn_pickle_kind_name (dict->kind));
  if ((r->stack->len - first) % 2)
    return fail (r, GABN_ERROR_INVALID_FILE, _("SETITEMS with an odd number of values"));
  for (guint i = first; i < r->stack->len; i += 2)
    {
      g_ptr_array_add (dict->dict.keys, r->stack->pdata[i]);
      g_ptr_array_add (dict->dict.values, r->stack->pdata[i + 1]);
    }
  g_ptr_array_set_size (r->stack, first);
  return TRUE;
}

static gboolean
append_items (Reader *r, GabnPickleValue *list, guint first)
{
  if (list->kind != GABN_PICKLE_LIST)
    return fail (r, GABN_ERROR_UNSUPPORTED, _("APPEND to a %s"), gabn_pickle_kind_name (list->kind));
  for (guint i = first; i < r->stack->len; i++)
    g_ptr_array_add (list->items, r->stack->pdata[i]);
  g_ptr_array_set_size (r->stack, first);
  return TRUE;
}

/* TUPLE, LIST, DICT: a new container from the values after index first. */
static gboolean
collect (Reader *r, GabnPickleKind kind, guint first)
{
  GabnPickleValue *v = value_new (r, kind);

  if (kind == GABN_PICKLE_DICT)
    {
      if (!set_items (r, v, first))
        return FALSE;
    }
  else
    {
      for (guint i = first; i < r->stack->len; i++)
        g_ptr_array_add (v->items, r->stack->pdata[i]);
      g_ptr_array_set_size (r->stack, first);
    }
  return push (r, v);
}

/* Runs one opcode; *stop set by STOP. */
static gboolean
step (Reader *r, gboolean *stop)
{
  guint8 op = *r->p++;
  GabnPickleValue *a, *b;
  gsize len = 0;
  guint first = 0;

  switch (op)
    {
    case OP_PROTO:
      if (!need (r, 1))
        return FALSE;
      if (*r->p > 5)
        return fail (r, GABN_ERROR_UNSUPPORTED, _("pickle protocol %d is not supported"), *r->p);
      r->p++;
      return TRUE;
    case OP_FRAME:   /* a length hint for buffered readers */
      if (!need (r, 8))
        return FALSE;
      r->p += 8;
      return TRUE;
    case OP_STOP:
      if (r->marks->len != 0 || r->stack->len != 1)
        return fail (r, GABN_ERROR_INVALID_FILE, _("STOP with %u values on the stack"), r->stack->len);
      *stop = TRUE;
      return TRUE;
    case OP_MARK:
      g_array_append_val (r->marks, r->stack->len);
      return TRUE;
    case OP_POP:
      if (r->stack->len > stack_base (r))
        return pop (r) != NULL;
      /* Python's POP of an empty frame drops the mark. */
      if (!pop_mark (r, &first))
        return FALSE;
      g_ptr_array_set_size (r->stack, first);
      return TRUE;
    case OP_POP_MARK:
      if (!pop_mark (r, &first))
        return FALSE;
      g_ptr_array_set_size (r->stack, first);
      return TRUE;
    case OP_DUP:
      return (a = peek (r, 0)) && push (r, a);

    case OP_NONE:
      return push (r, value_new (r, GABN_PICKLE_NONE));
    case OP_NEWTRUE:
    case OP_NEWFALSE:
      a = value_new (r, GABN_PICKLE_BOOL);
      a->b = op == OP_NEWTRUE;
      return push (r, a);
    case OP_BININT:
      return need (r, 4) && push_int (r, (gint32) (guint32) read_le (r, 4));
    case OP_BININT1:
      return need (r, 1) && push_int (r, (gint64) read_le (r, 1));
    case OP_BININT2:
      return need (r, 2) && push_int (r, (gint64) read_le (r, 2));
    case OP_LONG1:
      return read_length (r, 1, &len) && push_long (r, len);
    case OP_LONG4:
      return read_length (r, 4, &len) && push_long (r, len);
    case OP_BINFLOAT:
      {
        guint64 bits = 0;
        if (!need (r, 8))
          return FALSE;
        for (int i = 0; i < 8; i++)   /* big-endian */
          bits = (bits << 8) | *r->p++;
        a = value_new (r, GABN_PICKLE_FLOAT);
        memcpy (&a->f, &bits, sizeof a->f);
        return push (r, a);
      }
    case OP_SHORT_BINUNICODE:
      return read_length (r, 1, &len) && push_string (r, len, TRUE);
    case OP_BINUNICODE:
      return read_length (r, 4, &len) && push_string (r, len, TRUE);
    case OP_BINUNICODE8:
      return read_length (r, 8, &len) && push_string (r, len, TRUE);
    case OP_SHORT_BINBYTES:
      return read_length (r, 1, &len) && push_string (r, len, FALSE);
    case OP_BINBYTES:
      return read_length (r, 4, &len) && push_string (r, len, FALSE);
    case OP_BINBYTES8:
      return read_length (r, 8, &len) && push_string (r, len, FALSE);

    case OP_EMPTY_TUPLE:
      return push (r, value_new (r, GABN_PICKLE_TUPLE));
    case OP_TUPLE1:
    case OP_TUPLE2:
    case OP_TUPLE3:
      {
        guint n = op - OP_TUPLE1 + 1;
        if (!peek (r, n - 1))
          return FALSE;
        return collect (r, GABN_PICKLE_TUPLE, r->stack->len - n);
      }
    case OP_TUPLE:
      return pop_mark (r, &first) && collect (r, GABN_PICKLE_TUPLE, first);
    case OP_EMPTY_LIST:
      return push (r, value_new (r, GABN_PICKLE_LIST));
    case OP_LIST:
      return pop_mark (r, &first) && collect (r, GABN_PICKLE_LIST, first);
    case OP_APPEND:
      return (a = peek (r, 1)) && append_items (r, a, r->stack->len - 1);
    case OP_APPENDS:
      return pop_mark (r, &first) && (a = peek (r, r->stack->len - first)) != NULL
             && append_items (r, a, first);
    case OP_EMPTY_DICT:
      return push (r, value_new (r, GABN_PICKLE_DICT));
    case OP_DICT:
      return pop_mark (r, &first) && collect (r, GABN_PICKLE_DICT, first);
    case OP_SETITEM:
      return (a = peek (r, 2)) && set_items (r, a, r->stack->len - 2);
    case OP_SETITEMS:
      return pop_mark (r, &first) && (a = peek (r, r->stack->len - first)) != NULL
             && set_items (r, a, first);

    case OP_BINPUT:
      return need (r, 1) && memo_put (r, read_le (r, 1));
    case OP_LONG_BINPUT:
      return need (r, 4) && memo_put (r, read_le (r, 4));
    case OP_MEMOIZE:
      return memo_put (r, g_hash_table_size (r->memo));
    case OP_BINGET:
      return need (r, 1) && memo_get (r, read_le (r, 1));
    case OP_LONG_BINGET:
      return need (r, 4) && memo_get (r, read_le (r, 4));

    case OP_GLOBAL:
      {
        char module[128], name[128];
        return read_line (r, module, sizeof module) && read_line (r, name, sizeof name)
               && push_global (r, module, name);
      }
    case OP_STACK_GLOBAL:
      if (!(b = pop (r)) || !(a = pop (r)))
        return FALSE;
      if (!is_string (a, NULL) || !is_string (b, NULL))
        return fail (r, GABN_ERROR_INVALID_FILE, _("STACK_GLOBAL of non-strings"));
      return push_global (r, a->str.data, b->str.data);
    case OP_BINPERSID:
      return (a = pop (r)) && persistent_load (r, a);
    case OP_REDUCE:
      return reduce (r);
    case OP_BUILD:
      /* OrderedDict's attributes (torch's state_dict _metadata): not needed. */
      if (!(b = pop (r)) || !(a = peek (r, 0)))
        return FALSE;
      if (a->kind != GABN_PICKLE_DICT
          || (b->kind != GABN_PICKLE_DICT && b->kind != GABN_PICKLE_NONE))
        return fail (r, GABN_ERROR_UNSUPPORTED,
                     _("BUILD of a %s: only an OrderedDict’s attributes can be set"),
                     gabn_pickle_kind_name (a->kind));
      return TRUE;

    default:
      if (opcode_name (op))
        return fail (r, GABN_ERROR_UNSUPPORTED,
                     _("the pickle opcode %s (0x%02x) is not allowed: a checkpoint is read as "
                       "data only and nothing in it is run"), opcode_name (op), op);
      return fail (r, GABN_ERROR_INVALID_FILE, _("unknown pickle opcode 0x%02x"), op);
    }
}

GabnPickle *
gabn_pickle_load (const guint8 *data, gsize size, const char *path,
                  const char *entry, GError **error)
{
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  g_autoptr(GArray) marks = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GHashTable) memo = g_hash_table_new (NULL, NULL);
  GabnPickle *pickle = g_new0 (GabnPickle, 1);
  Reader r = {
    .start = data, .p = data, .end = data + size, .path = path, .entry = entry,
    .stack = stack, .marks = marks, .memo = memo, .error = error,
  };
  gboolean stop = FALSE;

  pickle->arena = g_ptr_array_new_with_free_func (value_free);
  r.arena = pickle->arena;
  while (!stop)
    {
      r.op_at = (gsize) (r.p - r.start);
      if (r.p >= r.end)
        {
          fail (&r, GABN_ERROR_INVALID_FILE, _("the pickle ends without STOP (truncated)"));
          gabn_pickle_free (pickle);
          return NULL;
        }
      if (!step (&r, &stop))
        {
          gabn_pickle_free (pickle);
          return NULL;
        }
    }
  pickle->root = stack->pdata[0];
  return pickle;
}

void
gabn_pickle_free (GabnPickle *pickle)
{
  if (pickle == NULL)
    return;
  g_ptr_array_unref (pickle->arena);
  g_free (pickle);
}

const GabnPickleValue *
gabn_pickle_root (const GabnPickle *pickle)
{
  return pickle->root;
}

const GabnPickleValue *
gabn_pickle_dict_get (const GabnPickleValue *dict, const char *key)
{
  g_return_val_if_fail (dict->kind == GABN_PICKLE_DICT, NULL);
  /* The last SETITEM of a key wins, as in Python. */
  for (guint i = dict->dict.keys->len; i-- > 0;)
    if (is_string (dict->dict.keys->pdata[i], key))
      return dict->dict.values->pdata[i];
  return NULL;
}
