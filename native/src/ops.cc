// The one generic operator call: any ATen operator, found by name and overload through the
// dispatcher, called boxed with arguments converted from JS according to the operator's schema.
#include "common.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/function_schema.h>
#include <ATen/core/jit_type.h>
#include <ATen/core/stack.h>

#include <array>
#include <atomic>
#include <mutex>
#include <sstream>
#include <unordered_map>

namespace genlab {

enum Kind : uint8_t {
  K_TENSOR,
  K_TENSOR_LIST,
  K_OPT_TENSOR_LIST,
  K_INT,
  K_INT_LIST,
  K_FLOAT,
  K_FLOAT_LIST,
  K_BOOL,
  K_BOOL_LIST,
  K_SCALAR,
  K_DTYPE,
  K_LAYOUT,
  K_MEMFMT,
  K_DEVICE,
  K_STRING,
  K_GENERATOR,
  K_SCALAR_LIST,
  K_UNSUPPORTED,
};

static const char* kindName(Kind k) {
  static const char* names[] = {"Tensor", "Tensor[]", "Tensor?[]", "int",    "int[]",  "float",
                                "float[]", "bool",    "bool[]",    "Scalar", "dtype",  "layout",
                                "memory_format", "Device", "str", "Generator", "Scalar[]", "unsupported"};
  return names[k];
}

struct ArgInfo {
  std::string name;
  Kind kind = K_UNSUPPORTED;
  bool optional = false;
  bool kwargOnly = false;
  bool hasDefault = false;
  int64_t fixedLen = 0;  // N of int[N] / bool[N]
  c10::IValue def;
};

struct OpInfo {
  c10::OperatorHandle handle;
  std::string name;  // aten::add.Tensor
  std::vector<ArgInfo> args;
  size_t nret = 0;
  int aliasReturnArg = -1;  // the single return is this (in-place / out) argument
  explicit OpInfo(c10::OperatorHandle h) : handle(std::move(h)) {}
};

static constexpr size_t kMaxOps = 16384;
static std::array<std::atomic<OpInfo*>, kMaxOps> g_ops;
static std::atomic<size_t> g_nops{0};
static std::mutex g_mu;
static std::unordered_map<std::string, int> g_byName;

static Kind classify(c10::TypePtr t, bool* optional) {
  *optional = false;
  if (t->kind() == c10::TypeKind::OptionalType) {
    *optional = true;
    t = t->castRaw<c10::OptionalType>()->getElementType();
  }
  switch (t->kind()) {
    case c10::TypeKind::TensorType: return K_TENSOR;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: return K_INT;
    case c10::TypeKind::FloatType: return K_FLOAT;
    case c10::TypeKind::BoolType: return K_BOOL;
    case c10::TypeKind::NumberType: return K_SCALAR;
    case c10::TypeKind::ScalarTypeType: return K_DTYPE;
    case c10::TypeKind::LayoutType: return K_LAYOUT;
    case c10::TypeKind::MemoryFormatType: return K_MEMFMT;
    case c10::TypeKind::DeviceObjType: return K_DEVICE;
    case c10::TypeKind::StringType: return K_STRING;
    case c10::TypeKind::GeneratorType: return K_GENERATOR;
    case c10::TypeKind::ListType: {
      auto e = t->castRaw<c10::ListType>()->getElementType();
      switch (e->kind()) {
        case c10::TypeKind::TensorType: return K_TENSOR_LIST;
        case c10::TypeKind::OptionalType:
          if (e->castRaw<c10::OptionalType>()->getElementType()->kind() == c10::TypeKind::TensorType) return K_OPT_TENSOR_LIST;
          return K_UNSUPPORTED;
        case c10::TypeKind::IntType:
        case c10::TypeKind::SymIntType: return K_INT_LIST;
        case c10::TypeKind::FloatType: return K_FLOAT_LIST;
        case c10::TypeKind::BoolType: return K_BOOL_LIST;
        case c10::TypeKind::NumberType: return K_SCALAR_LIST;
        default: return K_UNSUPPORTED;
      }
    }
    default: return K_UNSUPPORTED;
  }
}

static OpInfo* makeInfo(const c10::OperatorHandle& h) {
  auto* info = new OpInfo(h);
  const c10::FunctionSchema& s = h.schema();
  info->name = s.name() + (s.overload_name().empty() ? "" : "." + s.overload_name());
  for (const auto& a : s.arguments()) {
    ArgInfo ai;
    ai.name = a.name();
    ai.kind = classify(a.real_type(), &ai.optional);
    ai.kwargOnly = a.kwarg_only();
    ai.hasDefault = a.default_value().has_value();
    if (ai.hasDefault) ai.def = *a.default_value();
    if (a.N().has_value()) ai.fixedLen = *a.N();
    info->args.push_back(std::move(ai));
  }
  info->nret = s.returns().size();
  if (info->nret == 1 && s.returns()[0].alias_info() && s.returns()[0].alias_info()->isWrite()) {
    const auto& ret = *s.returns()[0].alias_info();
    for (size_t i = 0; i < s.arguments().size(); i++) {
      const auto* ai = s.arguments()[i].alias_info();
      if (ai && ai->isWrite() && ai->beforeSets() == ret.beforeSets()) {
        info->aliasReturnArg = static_cast<int>(i);
        break;
      }
    }
  }
  return info;
}

// lookup(name: string) -> id, or -1 when this libtorch has no such operator.
static int lookup(const std::string& full) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_byName.find(full);
  if (it != g_byName.end()) return it->second;
  std::string name = full, overload;
  auto colons = full.find("::");
  auto dot = full.find('.', colons == std::string::npos ? 0 : colons + 2);
  if (dot != std::string::npos) {
    name = full.substr(0, dot);
    overload = full.substr(dot + 1);
  }
  auto h = c10::Dispatcher::singleton().findOp(c10::OperatorName(name, overload));
  int id = -1;
  if (h.has_value() && g_nops < kMaxOps) {
    id = static_cast<int>(g_nops.load());
    g_ops[id].store(makeInfo(*h));
    g_nops++;
  }
  g_byName[full] = id;
  return id;
}

static Napi::Value LookupOps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array names = info[0].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env, names.Length());
  for (uint32_t i = 0; i < names.Length(); i++) {
    out.Set(i, Napi::Number::New(env, lookup(names.Get(i).As<Napi::String>().Utf8Value())));
  }
  return out;
}

static OpInfo* getOp(napi_env env, napi_value v) {
  int32_t id = -1;
  napi_get_value_int32(env, v, &id);
  if (id < 0 || static_cast<size_t>(id) >= g_nops.load()) throw std::invalid_argument("unknown operator id " + std::to_string(id));
  return g_ops[id].load();
}

static std::string ivalueRepr(const c10::IValue& v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

static Napi::Value OpInfoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    OpInfo* op = getOp(env, info[0]);
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", op->name);
    std::ostringstream schema;
    schema << op->handle.schema();
    o.Set("schema", schema.str());
    Napi::Array args = Napi::Array::New(env, op->args.size());
    for (size_t i = 0; i < op->args.size(); i++) {
      const ArgInfo& a = op->args[i];
      Napi::Object ao = Napi::Object::New(env);
      ao.Set("name", a.name);
      ao.Set("kind", kindName(a.kind));
      ao.Set("optional", a.optional);
      ao.Set("kwargOnly", a.kwargOnly);
      ao.Set("hasDefault", a.hasDefault);
      if (a.hasDefault) ao.Set("default", ivalueRepr(a.def));
      if (a.fixedLen) ao.Set("fixedLen", static_cast<double>(a.fixedLen));
      args.Set(i, ao);
    }
    o.Set("args", args);
    Napi::Array rets = Napi::Array::New(env);
    uint32_t k = 0;
    for (const auto& r : op->handle.schema().returns()) {
      std::ostringstream t;
      t << *r.type();
      rets.Set(k++, t.str());
    }
    o.Set("returns", rets);
    o.Set("aliasReturnArg", op->aliasReturnArg);
    return o;
  } catch (const std::exception& e) {
    throwJs(env, e.what());
    return Napi::Value();
  }
}

// Every operator schema this libtorch registers, one string each (for the code generator).
static Napi::Value AllSchemas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto names = c10::Dispatcher::singleton().getAllOpNames();
  Napi::Array out = Napi::Array::New(env);
  uint32_t k = 0;
  for (const auto& n : names) {
    auto h = c10::Dispatcher::singleton().findOp(n);
    if (!h.has_value() || !h->hasSchema()) continue;
    std::ostringstream s;
    s << h->schema();
    out.Set(k++, s.str());
  }
  return out;
}

// ---- argument conversion ---------------------------------------------------------------------

struct ArgError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

static std::string jsTypeName(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_external: return "external";
    case napi_object: {
      bool arr = false;
      napi_is_array(env, v, &arr);
      return arr ? "array" : "object";
    }
    default: return "value";
  }
}

[[noreturn]] static void badArg(napi_env env, const OpInfo* op, const ArgInfo& a, napi_value v, const char* expected) {
  throw ArgError(op->name + ": argument '" + a.name + "' must be " + expected + ", got " + jsTypeName(env, v));
}

static double getNumber(napi_env env, const OpInfo* op, const ArgInfo& a, napi_value v, const char* expected) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) badArg(env, op, a, v, expected);
  return d;
}

static int64_t getInt(napi_env env, const OpInfo* op, const ArgInfo& a, napi_value v) {
  double d = getNumber(env, op, a, v, "an integer");
  if (d != static_cast<double>(static_cast<int64_t>(d))) {
    throw ArgError(op->name + ": argument '" + a.name + "' must be an integer, got " + std::to_string(d));
  }
  return static_cast<int64_t>(d);
}

static bool getBool(napi_env env, const OpInfo* op, const ArgInfo& a, napi_value v) {
  bool b;
  if (napi_get_value_bool(env, v, &b) != napi_ok) badArg(env, op, a, v, "a boolean");
  return b;
}

static std::string getString(napi_env env, napi_value v) {
  size_t len = 0;
  napi_get_value_string_utf8(env, v, nullptr, 0, &len);
  std::string s(len, '\0');
  napi_get_value_string_utf8(env, v, s.data(), len + 1, &len);
  return s;
}

static at::ScalarType parseDtype(const std::string& s) {
  static const std::unordered_map<std::string, at::ScalarType> m = {
      {"float32", at::kFloat}, {"float", at::kFloat},   {"float64", at::kDouble}, {"double", at::kDouble},
      {"float16", at::kHalf},  {"half", at::kHalf},     {"bfloat16", at::kBFloat16}, {"int32", at::kInt},
      {"int", at::kInt},       {"int64", at::kLong},    {"long", at::kLong},      {"int16", at::kShort},
      {"int8", at::kChar},     {"uint8", at::kByte},    {"bool", at::kBool},      {"complex64", at::kComplexFloat},
      {"complex128", at::kComplexDouble}};
  auto it = m.find(s);
  if (it == m.end()) throw ArgError("unknown dtype '" + s + "' (use float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool)");
  return it->second;
}

static at::MemoryFormat parseMemFmt(const std::string& s) {
  if (s == "contiguous_format" || s == "contiguous") return at::MemoryFormat::Contiguous;
  if (s == "channels_last") return at::MemoryFormat::ChannelsLast;
  if (s == "preserve_format" || s == "preserve") return at::MemoryFormat::Preserve;
  if (s == "channels_last_3d") return at::MemoryFormat::ChannelsLast3d;
  throw ArgError("unknown memory format '" + s + "'");
}

static uint32_t arrayLength(napi_env env, napi_value v, bool* isArray) {
  napi_is_array(env, v, isArray);
  uint32_t n = 0;
  if (*isArray) napi_get_array_length(env, v, &n);
  return n;
}

static const at::Tensor& tensorArg(napi_env env, EnvState* st, const OpInfo* op, const ArgInfo& a, napi_value v, int index) {
  Slot* slot = slotOf(env, st, v);
  if (!slot || !slot->live) {
    std::string where = op->name + ": argument '" + a.name + "'" + (index >= 0 ? "[" + std::to_string(index) + "]" : "");
    double d;
    if (napi_get_value_double(env, v, &d) != napi_ok) throw ArgError(where + " must be a Tensor, got " + jsTypeName(env, v));
    throw ArgError(where + " is not a live Tensor (it was disposed, or is not a tensor)");
  }
  return slot->t;
}

static c10::IValue convertArg(napi_env env, EnvState* st, const OpInfo* op, const ArgInfo& a, napi_value v) {
  if (a.kind == K_TENSOR) {
    // The hot path: a tensor handle is a number naming a live slot.
    double d;
    if (napi_get_value_double(env, v, &d) == napi_ok) {
      Slot* slot = slotOfHandle(st, d);
      if (slot && slot->live) return slot->t;
    }
  }
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined) {
    if (a.hasDefault) return a.def;
    if (a.optional) return c10::IValue();
    throw ArgError(op->name + ": missing required argument '" + a.name + "' (" + kindName(a.kind) + ")");
  }
  if (t == napi_null) {
    if (a.optional) return c10::IValue();
    throw ArgError(op->name + ": argument '" + a.name + "' cannot be null");
  }
  switch (a.kind) {
    case K_TENSOR: return tensorArg(env, st, op, a, v, -1);
    case K_TENSOR_LIST: {
      bool isArr;
      uint32_t n = arrayLength(env, v, &isArr);
      if (!isArr) badArg(env, op, a, v, "an array of Tensors");
      std::vector<at::Tensor> ts;
      ts.reserve(n);
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        napi_get_element(env, v, i, &e);
        ts.push_back(tensorArg(env, st, op, a, e, static_cast<int>(i)));
      }
      return c10::IValue(c10::List<at::Tensor>(ts));
    }
    case K_OPT_TENSOR_LIST: {
      bool isArr;
      uint32_t n = arrayLength(env, v, &isArr);
      if (!isArr) badArg(env, op, a, v, "an array of Tensors or nulls");
      c10::List<c10::optional<at::Tensor>> ts;
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        napi_get_element(env, v, i, &e);
        napi_valuetype et;
        napi_typeof(env, e, &et);
        if (et == napi_null || et == napi_undefined) ts.push_back(c10::nullopt);
        else ts.push_back(tensorArg(env, st, op, a, e, static_cast<int>(i)));
      }
      return c10::IValue(ts);
    }
    case K_INT: return c10::IValue(getInt(env, op, a, v));
    case K_INT_LIST: {
      std::vector<int64_t> xs;
      if (t == napi_number) {
        int64_t x = getInt(env, op, a, v);
        xs.assign(a.fixedLen > 0 ? a.fixedLen : 1, x);
      } else {
        bool isArr;
        uint32_t n = arrayLength(env, v, &isArr);
        if (!isArr) badArg(env, op, a, v, "an integer or an array of integers");
        xs.resize(n);
        for (uint32_t i = 0; i < n; i++) {
          napi_value e;
          napi_get_element(env, v, i, &e);
          xs[i] = getInt(env, op, a, e);
        }
      }
      return c10::IValue(xs);
    }
    case K_FLOAT: return c10::IValue(getNumber(env, op, a, v, "a number"));
    case K_FLOAT_LIST: {
      bool isArr;
      uint32_t n = arrayLength(env, v, &isArr);
      if (!isArr) badArg(env, op, a, v, "an array of numbers");
      std::vector<double> xs(n);
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        napi_get_element(env, v, i, &e);
        xs[i] = getNumber(env, op, a, e, "an array of numbers");
      }
      return c10::IValue(xs);
    }
    case K_BOOL: return c10::IValue(getBool(env, op, a, v));
    case K_BOOL_LIST: {
      bool isArr;
      uint32_t n = arrayLength(env, v, &isArr);
      if (!isArr) badArg(env, op, a, v, "an array of booleans");
      c10::List<bool> xs;
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        napi_get_element(env, v, i, &e);
        xs.push_back(getBool(env, op, a, e));
      }
      return c10::IValue(xs);
    }
    case K_SCALAR: {
      if (t == napi_boolean) return c10::IValue(getBool(env, op, a, v));
      double d = getNumber(env, op, a, v, "a number");
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0) return c10::IValue(static_cast<int64_t>(d));
      return c10::IValue(d);
    }
    case K_SCALAR_LIST: {
      bool isArr;
      uint32_t n = arrayLength(env, v, &isArr);
      if (!isArr) badArg(env, op, a, v, "an array of numbers");
      c10::impl::GenericList xs(c10::NumberType::get());
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        napi_get_element(env, v, i, &e);
        double d = getNumber(env, op, a, e, "an array of numbers");
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9007199254740992.0) xs.push_back(c10::IValue(static_cast<int64_t>(d)));
        else xs.push_back(c10::IValue(d));
      }
      return c10::IValue(xs);
    }
    case K_DTYPE: {
      if (t == napi_string) return c10::IValue(static_cast<int64_t>(parseDtype(getString(env, v))));
      return c10::IValue(getInt(env, op, a, v));
    }
    case K_LAYOUT: {
      if (t == napi_string) {
        std::string s = getString(env, v);
        if (s != "strided") throw ArgError(op->name + ": only the strided layout is supported, got '" + s + "'");
        return c10::IValue(static_cast<int64_t>(at::kStrided));
      }
      return c10::IValue(getInt(env, op, a, v));
    }
    case K_MEMFMT: {
      if (t == napi_string) return c10::IValue(static_cast<int64_t>(parseMemFmt(getString(env, v))));
      return c10::IValue(getInt(env, op, a, v));
    }
    case K_DEVICE: {
      if (t != napi_string) badArg(env, op, a, v, "a device string such as 'cpu' or 'cuda:0'");
      std::string s = getString(env, v);
      try {
        return c10::IValue(c10::Device(s));
      } catch (const c10::Error&) {
        throw ArgError(op->name + ": argument '" + a.name + "': bad device '" + s + "' (use 'cpu', 'cuda' or 'cuda:N')");
      }
    }
    case K_STRING: {
      if (t != napi_string) badArg(env, op, a, v, "a string");
      return c10::IValue(getString(env, v));
    }
    case K_GENERATOR: {
      if (t != napi_external) badArg(env, op, a, v, "a Generator");
      return c10::IValue(unwrapGenerator(env, v));
    }
    default:
      throw ArgError(op->name + ": argument '" + a.name + "' has a type genlab cannot pass yet (" + ivalueRepr(a.def) + ")");
  }
}

static napi_value toJs(napi_env env, EnvState* st, c10::IValue&& v) {
  napi_value out;
  if (v.isTensor()) {
    at::Tensor t = std::move(v).toTensor();
    if (!t.defined()) {
      napi_get_null(env, &out);
      return out;
    }
    return wrapTensor(env, st, std::move(t));
  }
  if (v.isTensorList()) {
    auto list = v.toTensorList();
    napi_create_array_with_length(env, list.size(), &out);
    for (size_t i = 0; i < list.size(); i++) {
      at::Tensor t = list.get(i);
      napi_value e;
      if (t.defined()) e = wrapTensor(env, st, std::move(t));
      else napi_get_null(env, &e);
      napi_set_element(env, out, i, e);
    }
    return out;
  }
  if (v.isTuple()) {
    auto elems = v.toTupleRef().elements();
    napi_create_array_with_length(env, elems.size(), &out);
    for (size_t i = 0; i < elems.size(); i++) napi_set_element(env, out, i, toJs(env, st, c10::IValue(elems[i])));
    return out;
  }
  if (v.isList()) {
    auto list = v.toListRef();
    napi_create_array_with_length(env, list.size(), &out);
    for (size_t i = 0; i < list.size(); i++) napi_set_element(env, out, i, toJs(env, st, c10::IValue(list[i])));
    return out;
  }
  if (v.isNone()) {
    napi_get_null(env, &out);
    return out;
  }
  if (v.isInt()) {
    napi_create_double(env, static_cast<double>(v.toInt()), &out);
    return out;
  }
  if (v.isSymInt()) {
    napi_create_double(env, static_cast<double>(v.toSymInt().expect_int()), &out);
    return out;
  }
  if (v.isDouble()) {
    napi_create_double(env, v.toDouble(), &out);
    return out;
  }
  if (v.isBool()) {
    napi_get_boolean(env, v.toBool(), &out);
    return out;
  }
  if (v.isString()) {
    const std::string& s = v.toStringRef();
    napi_create_string_utf8(env, s.data(), s.size(), &out);
    return out;
  }
  if (v.isDevice()) {
    std::string s = v.toDevice().str();
    napi_create_string_utf8(env, s.data(), s.size(), &out);
    return out;
  }
  if (v.isScalar()) {
    napi_create_double(env, v.toScalar().toDouble(), &out);
    return out;
  }
  throw std::runtime_error(std::string("genlab cannot convert a result of type ") + v.tagKind());
}

// Describes the JS arguments of a failed call: "(self: float32[2, 3], other: float32[4], alpha: 1)".
static std::string describeCall(napi_env env, const OpInfo* op, napi_value* argv, size_t argc) {
  std::ostringstream o;
  o << op->name << "(";
  for (size_t i = 0; i < op->args.size() && i < argc; i++) {
    napi_value v = argv[i];
    napi_valuetype t;
    napi_typeof(env, v, &t);
    if (t == napi_undefined) continue;
    if (i) o << ", ";
    o << op->args[i].name << ": ";
    if (op->args[i].kind == K_TENSOR && t == napi_number) {
      Slot* slot = slotOf(env, state(env), v);
      o << (slot && slot->live ? describeTensor(slot->t) : "<disposed tensor>");
      continue;
    }
    bool isArr = false;
    napi_is_array(env, v, &isArr);
    if (isArr) {
      uint32_t n = 0;
      napi_get_array_length(env, v, &n);
      o << "[";
      for (uint32_t k = 0; k < n && k < 8; k++) {
        napi_value e;
        napi_get_element(env, v, k, &e);
        if (k) o << ", ";
        if (op->args[i].kind == K_TENSOR_LIST || op->args[i].kind == K_OPT_TENSOR_LIST) {
          Slot* slot = slotOf(env, state(env), e);
          o << (slot && slot->live ? describeTensor(slot->t) : "<disposed tensor>");
        } else {
          napi_value s;
          napi_coerce_to_string(env, e, &s);
          o << getString(env, s);
        }
      }
      if (n > 8) o << ", ...";
      o << "]";
      continue;
    }
    napi_value s;
    if (napi_coerce_to_string(env, v, &s) == napi_ok) o << getString(env, s);
  }
  o << ")";
  return o.str();
}

// call(id, ...args) -> result. Arguments are positional in schema order; undefined takes the default.
static napi_value Call(napi_env env, napi_callback_info cbinfo) {
  EnvState* st = state(env);
  struct ClearOnExit {
    torch::jit::Stack& s;
    ~ClearOnExit() { s.clear(); }
  } clearOnExit{st->stack};
  constexpr size_t kMaxArgs = 48;
  constexpr size_t kCommonArgs = 12;  // most calls: fewer slots to fill
  size_t argc = kCommonArgs;
  napi_value argv[kMaxArgs];
  napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
  if (argc > kCommonArgs) {
    argc = kMaxArgs;
    napi_get_cb_info(env, cbinfo, &argc, argv, nullptr, nullptr);
    if (argc > kMaxArgs) argc = kMaxArgs;
  }
  OpInfo* op = nullptr;
  try {
    op = getOp(env, argv[0]);
    size_t given = argc - 1;
    if (given > op->args.size()) {
      throw ArgError(op->name + " takes " + std::to_string(op->args.size()) + " arguments, got " + std::to_string(given));
    }
    torch::jit::Stack& stack = st->stack;
    stack.clear();
    napi_value undef;
    napi_get_undefined(env, &undef);
    for (size_t i = 0; i < op->args.size(); i++) {
      stack.push_back(convertArg(env, st, op, op->args[i], i < given ? argv[i + 1] : undef));
    }
    op->handle.callBoxed(stack);
    napi_value result = undef;
    if (op->aliasReturnArg >= 0 || op->nret == 0) {
      // in-place and out= operators: the JS layer returns the argument itself
    } else if (op->nret == 1) {
      result = toJs(env, st, std::move(stack[0]));
    } else {
      napi_create_array_with_length(env, stack.size(), &result);
      for (size_t i = 0; i < stack.size(); i++) napi_set_element(env, result, i, toJs(env, st, std::move(stack[i])));
    }
    stack.clear();
    return result;
  } catch (const ArgError& e) {
    throwJs(env, e.what());
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    throwJs(env, (op ? describeCall(env, op, argv + 1, argc - 1) + ": " : std::string()) + msg);
  } catch (const std::exception& e) {
    throwJs(env, (op ? describeCall(env, op, argv + 1, argc - 1) + ": " : std::string()) + e.what());
  }
  return nullptr;
}

void initOps(Napi::Env env, Napi::Object exports) {
  exports.Set("lookupOps", Napi::Function::New(env, LookupOps));
  exports.Set("opInfo", Napi::Function::New(env, OpInfoJs));
  exports.Set("allSchemas", Napi::Function::New(env, AllSchemas));
  napi_value fn;
  napi_create_function(env, "call", NAPI_AUTO_LENGTH, Call, nullptr, &fn);
  exports.Set("call", Napi::Value(env, fn));
}

}  // namespace genlab
