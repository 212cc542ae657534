#include "protocol/codec.h"

#include "common/sha256.h"

#include <cstring>
#include <exception>
#include <msgpack.hpp>
#include <type_traits>
#include <unordered_map>

namespace s1mple::protocol {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

// ---- encoding ------------------------------------------------------------------------------

// Writes a map whose size is known up front; each Field() call writes one key and value.
class MapWriter {
 public:
  MapWriter(Packer& p, uint32_t n) : p_(p) { p_.pack_map(n); }
  void Field(std::string_view key, std::string_view v) {
    Key(key);
    p_.pack_str(static_cast<uint32_t>(v.size()));
    p_.pack_str_body(v.data(), static_cast<uint32_t>(v.size()));
  }
  void Bin(std::string_view key, std::string_view v) {
    Key(key);
    p_.pack_bin(static_cast<uint32_t>(v.size()));
    p_.pack_bin_body(v.data(), static_cast<uint32_t>(v.size()));
  }
  void Field(std::string_view key, const char* v) { Field(key, std::string_view(v)); }
  void Field(std::string_view key, const std::string& v) { Field(key, std::string_view(v)); }
  void Field(std::string_view key, uint64_t v) {
    Key(key);
    p_.pack_uint64(v);
  }
  void Field(std::string_view key, uint32_t v) { Field(key, static_cast<uint64_t>(v)); }
  void Field(std::string_view key, bool v) {
    Key(key);
    v ? p_.pack_true() : p_.pack_false();
  }
  // Always a msgpack float 64, also for whole numbers (msgpack-c's pack_double writes an
  // integer for those; PROTOCOL.md promises floats).
  void Field(std::string_view key, double v) {
    Key(key);
    uint64_t bits = 0;
    static_assert(sizeof bits == sizeof v);
    std::memcpy(&bits, &v, sizeof bits);
    char buf[9];
    buf[0] = static_cast<char>(0xcb);
    for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);
    p_.pack_str_body(buf, sizeof buf);  // appends the 9 bytes as they are
  }
  void Field(std::string_view key, const std::map<std::string, std::string>& m) {
    Key(key);
    p_.pack_map(static_cast<uint32_t>(m.size()));
    for (const auto& [k, v] : m) {
      p_.pack(k);
      p_.pack(v);
    }
  }
  void Field(std::string_view key, const std::map<std::string, uint64_t>& m) {
    Key(key);
    p_.pack_map(static_cast<uint32_t>(m.size()));
    for (const auto& [k, v] : m) {
      p_.pack(k);
      p_.pack_uint64(v);
    }
  }
  void Field(std::string_view key, const std::vector<std::string>& v) {
    Key(key);
    p_.pack_array(static_cast<uint32_t>(v.size()));
    for (const auto& s : v) p_.pack(s);
  }
  Packer& packer() { return p_; }
  void Key(std::string_view key) {
    p_.pack_str(static_cast<uint32_t>(key.size()));
    p_.pack_str_body(key.data(), static_cast<uint32_t>(key.size()));
  }

 private:
  Packer& p_;
};

std::string_view ControlName(ControlAction a) {
  switch (a) {
    case ControlAction::kPause:
      return "PAUSE";
    case ControlAction::kResume:
      return "RESUME";
    case ControlAction::kCancel:
      return "CANCEL";
  }
  return "PAUSE";
}

void PackSpec(MapWriter& w, const SweepSpec& s) {
  w.Field("name", s.name);
  w.Field("kind", s.kind);
  w.Field("plan", s.plan);
  w.Field("artifacts", s.artifacts);
  w.Field("max_workers", s.max_workers);
  w.Field("timeout_ms", s.timeout_ms);
  w.Field("max_attempts", s.max_attempts);
  if (!s.summary.empty()) w.Field("summary", s.summary);
  if (s.dispatch_open) w.Field("dispatch_open", s.dispatch_open);
}

void PackSweepStatus(Packer& p, const SweepStatus& s) {
  MapWriter w(p, 11 + (s.plan.empty() ? 0 : 1) + (s.summary.empty() ? 0 : 1));
  w.Field("sweep", s.sweep);
  w.Field("name", s.name);
  w.Field("state", s.state);
  w.Field("total", s.total);
  w.Field("pending", s.pending);
  w.Field("running", s.running);
  w.Field("done", s.done);
  w.Field("failed", s.failed);
  w.Field("rate", s.rate);
  w.Field("eta_s", s.eta_s);
  w.Field("max_workers", s.max_workers);
  if (!s.plan.empty()) w.Field("plan", s.plan);
  if (!s.summary.empty()) w.Field("summary", s.summary);
}

void PackRunnerStatus(Packer& p, const RunnerStatus& r) {
  MapWriter w(p, 7);
  w.Field("runner", r.runner);
  w.Field("slots", r.slots);
  w.Field("credit", r.credit);
  w.Field("running", r.running);
  w.Field("done", r.done);
  w.Field("rate", r.rate);
  w.Field("connected_s", r.connected_s);
}

void PackResultItem(Packer& p, const ResultItem& r) {
  MapWriter w(p, 6);
  w.Field("index", r.index);
  w.Field("state", r.state);
  w.Field("attempts", r.attempts);
  w.Field("overrides", r.overrides);
  w.Field("result", r.result);
  w.Field("error", r.error);
}

// Reply: req, command, ok, error + payload fields.
void PackReply(Packer& p, const Reply& r) {
  uint32_t extra = 0;
  if (std::holds_alternative<SubmitBeginReply>(r.payload)) extra = 3;
  if (const auto* s = std::get_if<StatusReply>(&r.payload)) extra = s->next.empty() ? 3 : 4;
  if (std::holds_alternative<ResultsReply>(r.payload)) extra = 3;
  if (std::holds_alternative<GetReply>(r.payload)) extra = 4;
  MapWriter w(p, 4 + extra);
  w.Field("req", r.req);
  w.Field("command", r.command);
  w.Field("ok", r.ok);
  w.Field("error", r.error);
  if (const auto* b = std::get_if<SubmitBeginReply>(&r.payload)) {
    w.Field("sweep", b->sweep);
    w.Field("resumed", b->resumed);
    w.Field("job_count", b->job_count);
  } else if (const auto* s = std::get_if<StatusReply>(&r.payload)) {
    w.Key("sweeps");
    p.pack_array(static_cast<uint32_t>(s->sweeps.size()));
    for (const auto& x : s->sweeps) PackSweepStatus(p, x);
    w.Key("runners");
    p.pack_array(static_cast<uint32_t>(s->runners.size()));
    for (const auto& x : s->runners) PackRunnerStatus(p, x);
    w.Field("counters", s->counters);
    if (!s->next.empty()) w.Field("next", s->next);
  } else if (const auto* rr = std::get_if<ResultsReply>(&r.payload)) {
    w.Key("items");
    p.pack_array(static_cast<uint32_t>(rr->items.size()));
    for (const auto& x : rr->items) PackResultItem(p, x);
    w.Field("next", rr->next);
    w.Field("end", rr->end);
  } else if (const auto* g = std::get_if<GetReply>(&r.payload)) {
    w.Field("hash", g->hash);
    w.Bin("data", g->data);
    w.Field("offset", g->offset);
    w.Field("total", g->total);
  }
}

// [map{sweep, index, attempt}] under `key`.
void PackJobRefs(MapWriter& w, std::string_view key, const std::vector<JobRef>& refs) {
  w.Key(key);
  w.packer().pack_array(static_cast<uint32_t>(refs.size()));
  for (const JobRef& r : refs) {
    MapWriter m(w.packer(), 3);
    m.Field("sweep", r.sweep);
    m.Field("index", r.index);
    m.Field("attempt", r.attempt);
  }
}

struct BodyPacker {
  Packer& p;
  void operator()(const Ready& m) {
    MapWriter w(p, 4 + (m.instance.empty() ? 0 : 1) + (m.held ? 1 : 0));
    w.Field("runner", m.runner);
    w.Field("slots", m.slots);
    w.Field("credit", m.credit);
    w.Field("queue", m.queue);
    if (!m.instance.empty()) w.Field("instance", m.instance);
    if (m.held) PackJobRefs(w, "held", *m.held);
  }
  void operator()(const Job& m) {
    MapWriter w(p, 7);
    w.Field("sweep", m.sweep);
    w.Field("index", m.index);
    w.Field("attempt", m.attempt);
    w.Field("timeout_ms", m.timeout_ms);
    w.Field("kind", m.kind);
    w.Field("artifacts", m.artifacts);
    w.Field("overrides", m.overrides);
  }
  void operator()(const JobResult& m) {
    MapWriter w(p, m.handed_back ? 10 : 9);
    w.Field("sweep", m.sweep);
    w.Field("index", m.index);
    w.Field("attempt", m.attempt);
    w.Field("outcome", OutcomeName(m.outcome));
    w.Field("result", m.result);
    w.Field("error", m.error);
    w.Field("retryable", m.retryable);
    w.Field("elapsed_ms", m.elapsed_ms);
    w.Field("credit", m.credit);
    if (m.handed_back) w.Field("handed_back", true);
  }
  void operator()(const Ack& m) {
    MapWriter w(p, 4);
    w.Field("sweep", m.sweep);
    w.Field("index", m.index);
    w.Field("attempt", m.attempt);
    w.Field("disposition", DispositionName(m.disposition));
  }
  void operator()(const Heartbeat& m) {
    MapWriter w(p, m.started.empty() ? 1 : 2);
    w.Field("running", m.running);
    if (!m.started.empty()) PackJobRefs(w, "started", m.started);
  }
  void operator()(const Revoke& m) {
    MapWriter w(p, 1);
    PackJobRefs(w, "jobs", m.jobs);
  }
  void operator()(const Disconnect& m) {
    MapWriter w(p, 1);
    w.Field("reason", m.reason);
  }
  void operator()(const SubmitBegin& m) {
    MapWriter w(p, 8 + (m.resume_identical ? 1 : 0) + (m.spec.summary.empty() ? 0 : 1) +
                       (m.spec.dispatch_open ? 1 : 0));
    w.Field("req", m.req);
    PackSpec(w, m.spec);
    if (m.resume_identical) w.Field("resume_identical", m.resume_identical);
  }
  void operator()(const SubmitJobs& m) {
    MapWriter w(p, 4);
    w.Field("req", m.req);
    w.Field("sweep", m.sweep);
    w.Field("first_index", m.first_index);
    w.Field("overrides", m.overrides);
  }
  void operator()(const SubmitCommit& m) {
    MapWriter w(p, 3);
    w.Field("req", m.req);
    w.Field("sweep", m.sweep);
    w.Field("total", m.total);
  }
  void operator()(const StatusRequest& m) {
    MapWriter w(p, 2 + (m.include_plan ? 1 : 0) + (m.after.empty() ? 0 : 1));
    w.Field("req", m.req);
    w.Field("sweep", m.sweep);
    if (m.include_plan) w.Field("include_plan", m.include_plan);
    if (!m.after.empty()) w.Field("after", m.after);
  }
  void operator()(const ResultsRequest& m) {
    MapWriter w(p, 5 + (m.max_bytes ? 1 : 0) + (m.fields.empty() ? 0 : 1));
    w.Field("req", m.req);
    w.Field("sweep", m.sweep);
    w.Field("after", m.after);
    w.Field("limit", m.limit);
    w.Field("include_pending", m.include_pending);
    if (m.max_bytes) w.Field("max_bytes", m.max_bytes);
    if (!m.fields.empty()) w.Field("fields", m.fields);
  }
  void operator()(const SweepControl& m) {
    MapWriter w(p, 2);
    w.Field("req", m.req);
    w.Field("sweep", m.sweep);
  }
  void operator()(const Put& m) {
    MapWriter w(p, 3);
    w.Field("req", m.req);
    w.Field("hash", m.hash);
    w.Bin("data", m.data);
  }
  void operator()(const Get& m) {
    MapWriter w(p, 2 + (m.offset ? 1 : 0) + (m.length ? 1 : 0));
    w.Field("req", m.req);
    w.Field("hash", m.hash);
    if (m.offset) w.Field("offset", m.offset);
    if (m.length) w.Field("length", m.length);
  }
  void operator()(const Reply& m) { PackReply(p, m); }
};

// ---- decoding ------------------------------------------------------------------------------

std::string_view TypeName(msgpack::type::object_type t) {
  switch (t) {
    case msgpack::type::NIL:
      return "nil";
    case msgpack::type::BOOLEAN:
      return "boolean";
    case msgpack::type::POSITIVE_INTEGER:
      return "unsigned integer";
    case msgpack::type::NEGATIVE_INTEGER:
      return "negative integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return "float";
    case msgpack::type::STR:
      return "string";
    case msgpack::type::BIN:
      return "binary";
    case msgpack::type::ARRAY:
      return "array";
    case msgpack::type::MAP:
      return "map";
    case msgpack::type::EXT:
      return "ext";
  }
  return "unknown";
}

// Reads named fields of one msgpack map, naming the message and field in every error.
class MapReader {
 public:
  static Result<MapReader> Open(const msgpack::object& o, std::string where) {
    if (o.type != msgpack::type::MAP) {
      return Status::InvalidArgument(where + ": expected a map, got " +
                                     std::string(TypeName(o.type)));
    }
    MapReader r;
    r.where_ = std::move(where);
    for (uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR) {
        return Status::InvalidArgument(r.where_ + ": map key is a " +
                                       std::string(TypeName(kv.key.type)) + ", not a string");
      }
      std::string_view key(kv.key.via.str.ptr, kv.key.via.str.size);
      if (!r.fields_.emplace(key, &kv.val).second) {
        return Status::InvalidArgument(r.where_ + ": field '" + std::string(key) +
                                       "' appears twice");
      }
    }
    return r;
  }

  // Required unless `optional`; an absent optional field leaves *out unchanged.
  Status Str(std::string_view key, std::string* out, size_t max, bool optional = false) const {
    const msgpack::object* o = Find(key);
    if (!o) return Missing(key, optional);
    if (o->type != msgpack::type::STR && o->type != msgpack::type::BIN)
      return Wrong(key, "string", *o);
    const auto& raw = o->type == msgpack::type::STR ? o->via.str.ptr : o->via.bin.ptr;
    uint32_t size = o->type == msgpack::type::STR ? o->via.str.size : o->via.bin.size;
    if (size > max) return TooLong(key, size, max);
    out->assign(raw, size);
    return Status::Ok();
  }
  Status U64(std::string_view key, uint64_t* out, bool optional = false) const {
    const msgpack::object* o = Find(key);
    if (!o) return Missing(key, optional);
    if (o->type != msgpack::type::POSITIVE_INTEGER) return Wrong(key, "unsigned integer", *o);
    *out = o->via.u64;
    return Status::Ok();
  }
  Status U32(std::string_view key, uint32_t* out, bool optional = false) const {
    uint64_t v = *out;
    S1MPLE_RETURN_IF_ERROR(U64(key, &v, optional));
    if (v > UINT32_MAX) return Field(key, "value " + std::to_string(v) + " exceeds 32 bits");
    *out = static_cast<uint32_t>(v);
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool* out, bool optional = false) const {
    const msgpack::object* o = Find(key);
    if (!o) return Missing(key, optional);
    if (o->type != msgpack::type::BOOLEAN) return Wrong(key, "boolean", *o);
    *out = o->via.boolean;
    return Status::Ok();
  }
  Status Double(std::string_view key, double* out, bool optional = false) const {
    const msgpack::object* o = Find(key);
    if (!o) return Missing(key, optional);
    switch (o->type) {
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64:
        *out = o->via.f64;
        return Status::Ok();
      case msgpack::type::POSITIVE_INTEGER:
        *out = static_cast<double>(o->via.u64);
        return Status::Ok();
      case msgpack::type::NEGATIVE_INTEGER:
        *out = static_cast<double>(o->via.i64);
        return Status::Ok();
      default:
        return Wrong(key, "number", *o);
    }
  }
  Status StrList(std::string_view key, std::vector<std::string>* out, size_t max_items,
                 size_t max_item_bytes, bool optional = false) const {
    const msgpack::object* o = Find(key);
    if (!o) return Missing(key, optional);
    if (o->type != msgpack::type::ARRAY) return Wrong(key, "array", *o);
    if (o->via.array.size > max_items) return TooLong(key, o->via.array.size, max_items);
    out->clear();
    out->reserve(o->via.array.size);
    for (uint32_t i = 0; i < o->via.array.size; ++i) {
      const auto& e = o->via.array.ptr[i];
      std::string item_key = std::string(key) + "[" + std::to_string(i) + "]";
      if (e.type != msgpack::type::STR) return Wrong(item_key, "string", e);
      if (e.via.str.size > max_item_bytes) return TooLong(item_key, e.via.str.size, max_item_bytes);
      out->emplace_back(e.via.str.ptr, e.via.str.size);
    }
    return Status::Ok();
  }
  Status StrMap(std::string_view key, std::map<std::string, std::string>* out, size_t max_items,
                size_t max_value_bytes, bool optional = false) const {
    const msgpack::object* o = Find(key);
    if (!o) return Missing(key, optional);
    if (o->type != msgpack::type::MAP) return Wrong(key, "map", *o);
    if (o->via.map.size > max_items) return TooLong(key, o->via.map.size, max_items);
    out->clear();
    for (uint32_t i = 0; i < o->via.map.size; ++i) {
      const auto& kv = o->via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR)
        return Wrong(std::string(key) + " key", "string", kv.key);
      std::string k(kv.key.via.str.ptr, kv.key.via.str.size);
      std::string item_key = std::string(key) + "." + k;
      if (k.size() > kMaxNameBytes) return TooLong(item_key + " (key)", k.size(), kMaxNameBytes);
      if (kv.val.type != msgpack::type::STR) return Wrong(item_key, "string", kv.val);
      if (kv.val.via.str.size > max_value_bytes)
        return TooLong(item_key, kv.val.via.str.size, max_value_bytes);
      (*out)[k] = std::string(kv.val.via.str.ptr, kv.val.via.str.size);
    }
    return Status::Ok();
  }
  Status U64Map(std::string_view key, std::map<std::string, uint64_t>* out) const {
    const msgpack::object* o = Find(key);
    if (!o) return Missing(key, false);
    if (o->type != msgpack::type::MAP) return Wrong(key, "map", *o);
    out->clear();
    for (uint32_t i = 0; i < o->via.map.size; ++i) {
      const auto& kv = o->via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR)
        return Wrong(std::string(key) + " key", "string", kv.key);
      std::string k(kv.key.via.str.ptr, kv.key.via.str.size);
      if (kv.val.type != msgpack::type::POSITIVE_INTEGER)
        return Wrong(std::string(key) + "." + k, "unsigned integer", kv.val);
      (*out)[k] = kv.val.via.u64;
    }
    return Status::Ok();
  }
  // The raw array under `key` (for lists of maps).
  Result<const msgpack::object*> Array(std::string_view key, size_t max_items) const {
    const msgpack::object* o = Find(key);
    if (!o) return Missing(key, false);
    if (o->type != msgpack::type::ARRAY) return Wrong(key, "array", *o);
    if (o->via.array.size > max_items) return TooLong(key, o->via.array.size, max_items);
    return o;
  }
  // An error about field `key` (for checks done by the caller).
  Status Field(std::string_view key, const std::string& what) const {
    return Status::InvalidArgument(where_ + ": field '" + std::string(key) + "': " + what);
  }
  const std::string& where() const { return where_; }
  bool Has(std::string_view key) const { return Find(key) != nullptr; }

 private:
  const msgpack::object* Find(std::string_view key) const {
    auto it = fields_.find(key);
    return it == fields_.end() ? nullptr : it->second;
  }
  Status Missing(std::string_view key, bool optional) const {
    if (optional) return Status::Ok();
    return Status::InvalidArgument(where_ + ": field '" + std::string(key) + "' is missing");
  }
  Status Wrong(std::string_view key, std::string_view expected, const msgpack::object& o) const {
    return Field(key,
                 "expected " + std::string(expected) + ", got " + std::string(TypeName(o.type)));
  }
  Status TooLong(std::string_view key, size_t size, size_t max) const {
    return Field(key, "size " + std::to_string(size) + " exceeds the limit " + std::to_string(max));
  }

  std::string where_;
  std::unordered_map<std::string_view, const msgpack::object*> fields_;
};

Status NonEmpty(const MapReader& r, std::string_view key, const std::string& v) {
  if (v.empty()) return r.Field(key, "must not be empty");
  return Status::Ok();
}

Status CheckHash(const MapReader& r, std::string_view key, const std::string& v) {
  if (!IsSha256Hex(v))
    return r.Field(key, "expected a SHA-256 hex digest (64 lower-case hex digits)");
  return Status::Ok();
}

Status CheckArtifacts(const MapReader& r, const std::map<std::string, std::string>& artifacts) {
  for (const auto& [role, hash] : artifacts) {
    if (!IsSha256Hex(hash)) return r.Field("artifacts." + role, "expected a SHA-256 hex digest");
  }
  return Status::Ok();
}

// An optional [map{sweep, index, attempt}] under `key`; *present says whether it was there.
Status JobRefs(const MapReader& r, std::string_view key, std::vector<JobRef>* out,
               bool* present = nullptr) {
  if (present) *present = r.Has(key);
  if (!r.Has(key)) return Status::Ok();
  auto arr = r.Array(key, kMaxJobRefs);
  if (!arr.ok()) return arr.status();
  const msgpack::object* a = *arr;
  out->resize(a->via.array.size);
  for (uint32_t i = 0; i < a->via.array.size; ++i) {
    std::string where = r.where() + ": " + std::string(key) + "[" + std::to_string(i) + "]";
    auto item = MapReader::Open(a->via.array.ptr[i], where);
    if (!item.ok()) return item.status();
    JobRef& ref = (*out)[i];
    S1MPLE_RETURN_IF_ERROR(item->Str("sweep", &ref.sweep, kMaxNameBytes));
    S1MPLE_RETURN_IF_ERROR(item->U64("index", &ref.index));
    S1MPLE_RETURN_IF_ERROR(item->U32("attempt", &ref.attempt));
  }
  return Status::Ok();
}

Result<Message> DecodeReady(const MapReader& r) {
  Ready m;
  S1MPLE_RETURN_IF_ERROR(r.Str("runner", &m.runner, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(NonEmpty(r, "runner", m.runner));
  S1MPLE_RETURN_IF_ERROR(r.U32("slots", &m.slots));
  S1MPLE_RETURN_IF_ERROR(r.U32("credit", &m.credit));
  S1MPLE_RETURN_IF_ERROR(r.U32("queue", &m.queue, true));
  S1MPLE_RETURN_IF_ERROR(r.Str("instance", &m.instance, kMaxNameBytes, true));
  bool has_held = false;
  std::vector<JobRef> held;
  S1MPLE_RETURN_IF_ERROR(JobRefs(r, "held", &held, &has_held));
  if (has_held) m.held = std::move(held);
  if (m.slots == 0 || m.slots > 4096) return r.Field("slots", "must be between 1 and 4096");
  if (m.queue > 65536) return r.Field("queue", "must not exceed 65536");
  if (m.credit > m.slots + m.queue) return r.Field("credit", "must not exceed slots + queue");
  return Message(m);
}

Result<Message> DecodeJob(const MapReader& r) {
  Job m;
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &m.sweep, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U64("index", &m.index));
  S1MPLE_RETURN_IF_ERROR(r.U32("attempt", &m.attempt));
  S1MPLE_RETURN_IF_ERROR(r.U64("timeout_ms", &m.timeout_ms));
  S1MPLE_RETURN_IF_ERROR(r.Str("kind", &m.kind, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.StrMap("artifacts", &m.artifacts, kMaxArtifactsPerJob, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(CheckArtifacts(r, m.artifacts));
  S1MPLE_RETURN_IF_ERROR(r.Str("overrides", &m.overrides, kMaxOverridesBytes));
  return Message(m);
}

Result<Message> DecodeResult(const MapReader& r) {
  JobResult m;
  std::string outcome;
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &m.sweep, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U64("index", &m.index));
  S1MPLE_RETURN_IF_ERROR(r.U32("attempt", &m.attempt));
  S1MPLE_RETURN_IF_ERROR(r.Str("outcome", &outcome, kMaxNameBytes));
  if (outcome == "done")
    m.outcome = Outcome::kDone;
  else if (outcome == "failed")
    m.outcome = Outcome::kFailed;
  else
    return r.Field("outcome", "expected \"done\" or \"failed\", got \"" + outcome + "\"");
  S1MPLE_RETURN_IF_ERROR(r.Str("result", &m.result, kMaxTextBytes, true));
  S1MPLE_RETURN_IF_ERROR(r.Str("error", &m.error, kMaxTextBytes, true));
  S1MPLE_RETURN_IF_ERROR(r.Bool("retryable", &m.retryable, true));
  S1MPLE_RETURN_IF_ERROR(r.U64("elapsed_ms", &m.elapsed_ms, true));
  S1MPLE_RETURN_IF_ERROR(r.U32("credit", &m.credit));
  if (m.credit > 4096) return r.Field("credit", "must not exceed 4096");
  S1MPLE_RETURN_IF_ERROR(r.Bool("handed_back", &m.handed_back, true));
  return Message(m);
}

Result<Message> DecodeAck(const MapReader& r) {
  Ack m;
  std::string d;
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &m.sweep, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U64("index", &m.index));
  S1MPLE_RETURN_IF_ERROR(r.U32("attempt", &m.attempt));
  S1MPLE_RETURN_IF_ERROR(r.Str("disposition", &d, kMaxNameBytes));
  if (d == "recorded")
    m.disposition = AckDisposition::kRecorded;
  else if (d == "duplicate")
    m.disposition = AckDisposition::kDuplicate;
  else if (d == "rejected")
    m.disposition = AckDisposition::kRejected;
  else
    return r.Field("disposition", "unknown value \"" + d + "\"");
  return Message(m);
}

Result<Message> DecodeHeartbeat(const MapReader& r) {
  Heartbeat m;
  S1MPLE_RETURN_IF_ERROR(r.U32("running", &m.running, true));
  S1MPLE_RETURN_IF_ERROR(JobRefs(r, "started", &m.started));
  return Message(m);
}

Result<Message> DecodeRevoke(const MapReader& r) {
  Revoke m;
  if (!r.Has("jobs")) return r.Field("jobs", "is missing");
  S1MPLE_RETURN_IF_ERROR(JobRefs(r, "jobs", &m.jobs));
  return Message(m);
}

Result<Message> DecodeDisconnect(const MapReader& r) {
  Disconnect m;
  S1MPLE_RETURN_IF_ERROR(r.Str("reason", &m.reason, kMaxTextBytes, true));
  return Message(m);
}

Result<Message> DecodeSubmitBegin(const MapReader& r) {
  SubmitBegin m;
  SweepSpec& s = m.spec;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("name", &s.name, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.Str("kind", &s.kind, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(NonEmpty(r, "kind", s.kind));
  S1MPLE_RETURN_IF_ERROR(r.Str("plan", &s.plan, kMaxTextBytes, true));
  S1MPLE_RETURN_IF_ERROR(r.Str("summary", &s.summary, kMaxTextBytes, true));
  S1MPLE_RETURN_IF_ERROR(
      r.StrMap("artifacts", &s.artifacts, kMaxArtifactsPerJob, kMaxNameBytes, true));
  S1MPLE_RETURN_IF_ERROR(CheckArtifacts(r, s.artifacts));
  S1MPLE_RETURN_IF_ERROR(r.U32("max_workers", &s.max_workers, true));
  S1MPLE_RETURN_IF_ERROR(r.U64("timeout_ms", &s.timeout_ms, true));
  S1MPLE_RETURN_IF_ERROR(r.U32("max_attempts", &s.max_attempts, true));
  if (s.max_attempts > 100) return r.Field("max_attempts", "must not exceed 100");
  S1MPLE_RETURN_IF_ERROR(r.Bool("dispatch_open", &s.dispatch_open, true));
  S1MPLE_RETURN_IF_ERROR(r.Bool("resume_identical", &m.resume_identical, true));
  return Message(m);
}

Result<Message> DecodeSubmitJobs(const MapReader& r) {
  SubmitJobs m;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &m.sweep, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U64("first_index", &m.first_index));
  S1MPLE_RETURN_IF_ERROR(
      r.StrList("overrides", &m.overrides, kMaxJobsPerBatch, kMaxOverridesBytes));
  return Message(m);
}

Result<Message> DecodeSubmitCommit(const MapReader& r) {
  SubmitCommit m;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &m.sweep, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U64("total", &m.total));
  return Message(m);
}

Result<Message> DecodeStatus(const MapReader& r) {
  StatusRequest m;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &m.sweep, kMaxNameBytes, true));
  S1MPLE_RETURN_IF_ERROR(r.Bool("include_plan", &m.include_plan, true));
  S1MPLE_RETURN_IF_ERROR(r.Str("after", &m.after, kMaxNameBytes, true));
  return Message(m);
}

Result<Message> DecodeResults(const MapReader& r) {
  ResultsRequest m;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &m.sweep, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U64("after", &m.after, true));
  S1MPLE_RETURN_IF_ERROR(r.U32("limit", &m.limit, true));
  S1MPLE_RETURN_IF_ERROR(r.Bool("include_pending", &m.include_pending, true));
  if (m.limit == 0 || m.limit > kMaxResultsPage) {
    return r.Field("limit", "must be between 1 and " + std::to_string(kMaxResultsPage));
  }
  S1MPLE_RETURN_IF_ERROR(r.U64("max_bytes", &m.max_bytes, true));
  S1MPLE_RETURN_IF_ERROR(r.StrList("fields", &m.fields, 64, kMaxNameBytes, true));
  for (size_t i = 0; i < m.fields.size(); ++i) {
    if (m.fields[i].empty()) return r.Field("fields[" + std::to_string(i) + "]", "is empty");
  }
  return Message(m);
}

Result<Message> DecodeControl(const MapReader& r, ControlAction action) {
  SweepControl m;
  m.action = action;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &m.sweep, kMaxNameBytes));
  return Message(m);
}

Result<Message> DecodePut(const MapReader& r) {
  Put m;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("hash", &m.hash, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(CheckHash(r, "hash", m.hash));
  S1MPLE_RETURN_IF_ERROR(r.Str("data", &m.data, kMaxArtifactBytes));
  return Message(m);
}

Result<Message> DecodeGet(const MapReader& r) {
  Get m;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("hash", &m.hash, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(CheckHash(r, "hash", m.hash));
  S1MPLE_RETURN_IF_ERROR(r.U64("offset", &m.offset, true));
  S1MPLE_RETURN_IF_ERROR(r.U64("length", &m.length, true));
  return Message(m);
}

Status DecodeSweepStatus(const msgpack::object& o, const std::string& where, SweepStatus* s) {
  auto rr = MapReader::Open(o, where);
  if (!rr.ok()) return rr.status();
  const MapReader& r = *rr;
  S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &s->sweep, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.Str("name", &s->name, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.Str("state", &s->state, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U64("total", &s->total));
  S1MPLE_RETURN_IF_ERROR(r.U64("pending", &s->pending));
  S1MPLE_RETURN_IF_ERROR(r.U64("running", &s->running));
  S1MPLE_RETURN_IF_ERROR(r.U64("done", &s->done));
  S1MPLE_RETURN_IF_ERROR(r.U64("failed", &s->failed));
  S1MPLE_RETURN_IF_ERROR(r.Double("rate", &s->rate));
  S1MPLE_RETURN_IF_ERROR(r.Double("eta_s", &s->eta_s));
  S1MPLE_RETURN_IF_ERROR(r.U32("max_workers", &s->max_workers, true));
  S1MPLE_RETURN_IF_ERROR(r.Str("plan", &s->plan, kMaxTextBytes, true));
  S1MPLE_RETURN_IF_ERROR(r.Str("summary", &s->summary, kMaxTextBytes, true));
  return Status::Ok();
}

Status DecodeRunnerStatus(const msgpack::object& o, const std::string& where, RunnerStatus* s) {
  auto rr = MapReader::Open(o, where);
  if (!rr.ok()) return rr.status();
  const MapReader& r = *rr;
  S1MPLE_RETURN_IF_ERROR(r.Str("runner", &s->runner, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U32("slots", &s->slots));
  S1MPLE_RETURN_IF_ERROR(r.U32("credit", &s->credit));
  S1MPLE_RETURN_IF_ERROR(r.U32("running", &s->running));
  S1MPLE_RETURN_IF_ERROR(r.U64("done", &s->done));
  S1MPLE_RETURN_IF_ERROR(r.Double("rate", &s->rate));
  S1MPLE_RETURN_IF_ERROR(r.Double("connected_s", &s->connected_s));
  return Status::Ok();
}

Status DecodeResultItem(const msgpack::object& o, const std::string& where, ResultItem* s) {
  auto rr = MapReader::Open(o, where);
  if (!rr.ok()) return rr.status();
  const MapReader& r = *rr;
  S1MPLE_RETURN_IF_ERROR(r.U64("index", &s->index));
  S1MPLE_RETURN_IF_ERROR(r.Str("state", &s->state, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.U32("attempts", &s->attempts));
  S1MPLE_RETURN_IF_ERROR(r.Str("overrides", &s->overrides, kMaxOverridesBytes, true));
  S1MPLE_RETURN_IF_ERROR(r.Str("result", &s->result, kMaxTextBytes, true));
  S1MPLE_RETURN_IF_ERROR(r.Str("error", &s->error, kMaxTextBytes, true));
  return Status::Ok();
}

template <typename T, typename Fn>
Status DecodeList(const MapReader& r, std::string_view key, size_t max, std::vector<T>* out,
                  Fn fn) {
  auto arr = r.Array(key, max);
  if (!arr.ok()) return arr.status();
  const msgpack::object* a = *arr;
  out->resize(a->via.array.size);
  for (uint32_t i = 0; i < a->via.array.size; ++i) {
    std::string where = r.where() + ": " + std::string(key) + "[" + std::to_string(i) + "]";
    S1MPLE_RETURN_IF_ERROR(fn(a->via.array.ptr[i], where, &(*out)[i]));
  }
  return Status::Ok();
}

Result<Message> DecodeReply(const MapReader& r) {
  Reply m;
  S1MPLE_RETURN_IF_ERROR(r.U64("req", &m.req));
  S1MPLE_RETURN_IF_ERROR(r.Str("command", &m.command, kMaxNameBytes));
  S1MPLE_RETURN_IF_ERROR(r.Bool("ok", &m.ok));
  S1MPLE_RETURN_IF_ERROR(r.Str("error", &m.error, kMaxTextBytes, true));
  if (!m.ok) return Message(m);
  if (m.command == "SUBMIT_BEGIN") {
    SubmitBeginReply b;
    S1MPLE_RETURN_IF_ERROR(r.Str("sweep", &b.sweep, kMaxNameBytes));
    S1MPLE_RETURN_IF_ERROR(r.Bool("resumed", &b.resumed, true));
    S1MPLE_RETURN_IF_ERROR(r.U64("job_count", &b.job_count, true));
    m.payload = b;
  } else if (m.command == "STATUS") {
    StatusReply s;
    S1MPLE_RETURN_IF_ERROR(DecodeList(r, "sweeps", 1u << 20, &s.sweeps, DecodeSweepStatus));
    S1MPLE_RETURN_IF_ERROR(DecodeList(r, "runners", 1u << 20, &s.runners, DecodeRunnerStatus));
    S1MPLE_RETURN_IF_ERROR(r.U64Map("counters", &s.counters));
    S1MPLE_RETURN_IF_ERROR(r.Str("next", &s.next, kMaxNameBytes, true));
    m.payload = std::move(s);
  } else if (m.command == "RESULTS") {
    ResultsReply s;
    S1MPLE_RETURN_IF_ERROR(DecodeList(r, "items", kMaxResultsPage, &s.items, DecodeResultItem));
    S1MPLE_RETURN_IF_ERROR(r.U64("next", &s.next));
    S1MPLE_RETURN_IF_ERROR(r.Bool("end", &s.end));
    m.payload = std::move(s);
  } else if (m.command == "GET") {
    GetReply g;
    S1MPLE_RETURN_IF_ERROR(r.Str("hash", &g.hash, kMaxNameBytes));
    S1MPLE_RETURN_IF_ERROR(r.Str("data", &g.data, kMaxArtifactBytes));
    // An older broker sends the whole artifact without offset/total.
    g.total = g.data.size();
    S1MPLE_RETURN_IF_ERROR(r.U64("offset", &g.offset, true));
    S1MPLE_RETURN_IF_ERROR(r.U64("total", &g.total, true));
    if (g.offset > g.total || g.data.size() > g.total - g.offset)
      return r.Field("data", "bytes " + std::to_string(g.offset) + ".." +
                                 std::to_string(g.offset + g.data.size()) +
                                 " lie outside an artifact of " + std::to_string(g.total) +
                                 " bytes");
    m.payload = std::move(g);
  }
  return Message(std::move(m));
}

Result<Message> DecodeBody(std::string_view command, const MapReader& r) {
  if (command == "READY") return DecodeReady(r);
  if (command == "JOB") return DecodeJob(r);
  if (command == "RESULT") return DecodeResult(r);
  if (command == "ACK") return DecodeAck(r);
  if (command == "HEARTBEAT") return DecodeHeartbeat(r);
  if (command == "DISCONNECT") return DecodeDisconnect(r);
  if (command == "SUBMIT_BEGIN") return DecodeSubmitBegin(r);
  if (command == "SUBMIT_JOBS") return DecodeSubmitJobs(r);
  if (command == "SUBMIT_COMMIT") return DecodeSubmitCommit(r);
  if (command == "STATUS") return DecodeStatus(r);
  if (command == "RESULTS") return DecodeResults(r);
  if (command == "PAUSE") return DecodeControl(r, ControlAction::kPause);
  if (command == "RESUME") return DecodeControl(r, ControlAction::kResume);
  if (command == "CANCEL") return DecodeControl(r, ControlAction::kCancel);
  if (command == "PUT") return DecodePut(r);
  if (command == "GET") return DecodeGet(r);
  if (command == "REPLY") return DecodeReply(r);
  if (command == "REVOKE") return DecodeRevoke(r);
  return Status::InvalidArgument("unknown command '" + std::string(command.substr(0, 32)) + "'");
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::string_view OutcomeName(Outcome o) {
  return o == Outcome::kDone ? "done" : "failed";
}

std::string_view DispositionName(AckDisposition d) {
  switch (d) {
    case AckDisposition::kRecorded:
      return "recorded";
    case AckDisposition::kDuplicate:
      return "duplicate";
    case AckDisposition::kRejected:
      return "rejected";
  }
  return "recorded";
}

std::string_view CommandName(const Message& m) {
  struct Namer {
    std::string_view operator()(const Ready&) { return "READY"; }
    std::string_view operator()(const Job&) { return "JOB"; }
    std::string_view operator()(const JobResult&) { return "RESULT"; }
    std::string_view operator()(const Ack&) { return "ACK"; }
    std::string_view operator()(const Heartbeat&) { return "HEARTBEAT"; }
    std::string_view operator()(const Disconnect&) { return "DISCONNECT"; }
    std::string_view operator()(const SubmitBegin&) { return "SUBMIT_BEGIN"; }
    std::string_view operator()(const SubmitJobs&) { return "SUBMIT_JOBS"; }
    std::string_view operator()(const SubmitCommit&) { return "SUBMIT_COMMIT"; }
    std::string_view operator()(const StatusRequest&) { return "STATUS"; }
    std::string_view operator()(const ResultsRequest&) { return "RESULTS"; }
    std::string_view operator()(const SweepControl& c) { return ControlName(c.action); }
    std::string_view operator()(const Put&) { return "PUT"; }
    std::string_view operator()(const Get&) { return "GET"; }
    std::string_view operator()(const Reply&) { return "REPLY"; }
    std::string_view operator()(const Revoke&) { return "REVOKE"; }
  };
  return std::visit(Namer{}, m);
}

Frames Encode(const Message& m) {
  msgpack::sbuffer buf;
  Packer packer(buf);
  std::visit(BodyPacker{packer}, m);
  Frames frames;
  frames.reserve(3);
  frames.emplace_back(kHeader);
  frames.emplace_back(CommandName(m));
  frames.emplace_back(buf.data(), buf.size());
  return frames;
}

Result<Message> Decode(const std::vector<std::string_view>& frames) {
  if (frames.size() != 3) {
    return Status::InvalidArgument("expected 3 frames (header, command, body), got " +
                                   std::to_string(frames.size()));
  }
  std::string_view header = frames[0];
  if (header != kHeader) {
    if (header.substr(0, kHeaderPrefix.size()) == kHeaderPrefix && header.size() < 32 &&
        IsPrintableAscii(header)) {
      return Status::FailedPrecondition("unknown protocol version '" + std::string(header) +
                                        "' (this peer speaks " + std::string(kHeader) + ")");
    }
    return Status::InvalidArgument("header frame is not '" + std::string(kHeader) + "'");
  }
  std::string_view command = frames[1];
  if (command.size() > 32 || !IsPrintableAscii(command)) {
    return Status::InvalidArgument("command frame is not a short ASCII name");
  }
  std::string_view body = frames[2];
  if (body.size() > kMaxMessageBytes) {
    return Status::InvalidArgument(std::string(command) + ": body of " +
                                   std::to_string(body.size()) + " bytes exceeds the limit");
  }
  try {
    // Bounds on what the unpacker allocates: arrays, maps, strings, binaries, nesting.
    msgpack::unpack_limit limit(1u << 20, 1u << 16, kMaxMessageBytes, kMaxMessageBytes, 1024, 16);
    size_t offset = 0;
    msgpack::object_handle oh =
        msgpack::unpack(body.data(), body.size(), offset, nullptr, nullptr, limit);
    if (offset != body.size()) {
      return Status::InvalidArgument(std::string(command) +
                                     ": trailing bytes after the msgpack body");
    }
    auto reader = MapReader::Open(oh.get(), std::string(command));
    if (!reader.ok()) return reader.status();
    return DecodeBody(command, *reader);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string(command) + ": malformed msgpack body (" + e.what() +
                                   ")");
  }
}

Result<Message> Decode(const Frames& frames) {
  std::vector<std::string_view> views(frames.begin(), frames.end());
  return Decode(views);
}

}  // namespace s1mple::protocol
