#include "store/codec.h"

#include <limits>

namespace s1mple::store::codec {
namespace {

constexpr char kRecordVersion = 1;
// A job record with attempts that did not count (JobRecord::uncounted_attempts != 0): version 1
// plus one trailing varint. Records without such attempts stay version 1, byte for byte, so
// stores written before the field existed read unchanged; a build that predates it refuses a
// version-2 job record ("unknown version byte") instead of misreading it.
constexpr char kJobVersionUncounted = 2;

void PutVarint(std::string* out, std::uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutSigned(std::string* out, std::int64_t v) {
  // zigzag, so small negative numbers stay small
  PutVarint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

// Reads a record front to back; any overrun sets failed() instead of reading out of bounds.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool failed() const { return failed_; }
  bool done() const { return rest_.empty(); }

  std::uint64_t Varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (rest_.empty()) return Fail();
      auto b = static_cast<std::uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail();
  }
  std::int64_t Signed() {
    std::uint64_t z = Varint();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::string String() {
    std::uint64_t n = Varint();
    if (failed_ || n > rest_.size()) {
      Fail();
      return {};
    }
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }
  std::uint8_t Byte() {
    if (rest_.empty()) return static_cast<std::uint8_t>(Fail());
    auto b = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }

 private:
  std::uint64_t Fail() {
    failed_ = true;
    rest_ = {};
    return 0;
  }
  std::string_view rest_;
  bool failed_ = false;
};

Status CheckVersion(Reader& r, const char* what) {
  if (r.Byte() != kRecordVersion) {
    return Status::Corruption(std::string(what) + " record has an unknown version byte");
  }
  return Status::Ok();
}
Status Finish(const Reader& r, const char* what) {
  if (r.failed() || !r.done()) {
    return Status::Corruption(std::string(what) + " record is truncated or has trailing bytes");
  }
  return Status::Ok();
}

void PutBigEndian64(std::string* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

bool IsValidSweepId(std::string_view id) {
  if (id.size() != kSweepIdLength || id.substr(0, 3) != "sw-") return false;
  for (char c : id.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string JobKey(std::string_view sweep, JobIndex index) {
  std::string k(sweep);
  PutBigEndian64(&k, index);
  return k;
}

std::optional<JobIndex> IndexOfJobKey(std::string_view key) {
  if (key.size() != kSweepIdLength + 8) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = kSweepIdLength; i < key.size(); ++i) {
    v = (v << 8) | static_cast<std::uint8_t>(key[i]);
  }
  return v;
}

std::string SweepKeyEnd(std::string_view sweep) {
  std::string k(sweep);
  k.append(9, '\xff');
  return k;
}

std::string SummaryKey(std::string_view sweep, JobIndex index) {
  std::string k(1, kSummaryTag);
  k += sweep;
  PutBigEndian64(&k, index);
  return k;
}

std::string SweepMetaKey(std::string_view sweep) {
  return std::string(1, kMetaTag) += sweep;
}
std::string SweepCountsKey(std::string_view sweep) {
  return std::string(1, 'c') += sweep;
}
std::string SweepPlanKey(std::string_view sweep) {
  return std::string(1, 'p') += sweep;
}

std::string SweepSummaryKey(std::string_view sweep) {
  return std::string(1, 's') += sweep;
}
std::string PlanHashKey(std::string_view hash, std::string_view sweep) {
  std::string k(1, 'h');
  k.append(hash);
  k.push_back('\0');
  k.append(sweep);
  return k;
}

std::string EncodeSweepMeta(const SweepInfo& info) {
  std::string out(1, kRecordVersion);
  PutString(&out, info.id);
  PutString(&out, info.name);
  PutVarint(&out, static_cast<std::uint64_t>(info.kind));
  PutString(&out, info.plan_hash);
  PutVarint(&out, info.base_artifacts.size());
  for (const auto& [role, hash] : info.base_artifacts) {
    PutString(&out, role);
    PutString(&out, hash);
  }
  PutVarint(&out, info.max_attempts);
  PutSigned(&out, info.timeout_per_run_ms);
  PutVarint(&out, info.max_workers);
  PutSigned(&out, info.created_ms);
  PutVarint(&out, static_cast<std::uint64_t>(info.state));
  PutVarint(&out, info.job_count);
  PutVarint(&out, info.dispatch_open ? 1 : 0);  // flags (absent in records of older stores)
  return out;
}

Status DecodeSweepMeta(std::string_view bytes, SweepInfo* info) {
  Reader r(bytes);
  S1MPLE_RETURN_IF_ERROR(CheckVersion(r, "sweep"));
  info->id = r.String();
  info->name = r.String();
  std::uint64_t kind = r.Varint();
  info->plan_hash = r.String();
  std::uint64_t n = r.Varint();
  info->base_artifacts.clear();
  for (std::uint64_t i = 0; i < n && !r.failed(); ++i) {
    std::string role = r.String();
    info->base_artifacts[role] = r.String();
  }
  info->max_attempts = static_cast<Attempt>(r.Varint());
  info->timeout_per_run_ms = r.Signed();
  info->max_workers = static_cast<std::uint32_t>(r.Varint());
  info->created_ms = r.Signed();
  std::uint64_t state = r.Varint();
  info->job_count = r.Varint();
  info->dispatch_open = !r.done() && (r.Varint() & 1) != 0;
  S1MPLE_RETURN_IF_ERROR(Finish(r, "sweep"));
  if (kind > static_cast<std::uint64_t>(SweepKind::kDiag) ||
      state > static_cast<std::uint64_t>(SweepState::kDone)) {
    return Status::Corruption("sweep record " + info->id + " has an unknown kind or state");
  }
  info->kind = static_cast<SweepKind>(kind);
  info->state = static_cast<SweepState>(state);
  return Status::Ok();
}

std::string EncodeCounts(const JobCounts& c) {
  std::string out(1, kRecordVersion);
  PutVarint(&out, c.pending);
  PutVarint(&out, c.leased);
  PutVarint(&out, c.done);
  PutVarint(&out, c.failed);
  return out;
}

Status DecodeCounts(std::string_view bytes, JobCounts* c) {
  Reader r(bytes);
  S1MPLE_RETURN_IF_ERROR(CheckVersion(r, "counters"));
  c->pending = r.Varint();
  c->leased = r.Varint();
  c->done = r.Varint();
  c->failed = r.Varint();
  return Finish(r, "counters");
}

std::string EncodeLease(const Lease& lease) {
  std::string out(1, kRecordVersion);
  PutString(&out, lease.runner);
  PutVarint(&out, lease.attempt);
  PutSigned(&out, lease.deadline_ms);
  return out;
}

Status DecodeLease(std::string_view bytes, Lease* lease) {
  Reader r(bytes);
  S1MPLE_RETURN_IF_ERROR(CheckVersion(r, "lease"));
  lease->runner = r.String();
  lease->attempt = static_cast<Attempt>(r.Varint());
  lease->deadline_ms = r.Signed();
  return Finish(r, "lease");
}

std::string EncodeJob(const JobRecord& job) {
  const bool uncounted = job.uncounted_attempts != 0;
  std::string out(1, uncounted ? kJobVersionUncounted : kRecordVersion);
  out.push_back(static_cast<char>(job.state));
  PutVarint(&out, job.attempt);
  out.push_back(job.lease ? 1 : 0);
  if (job.lease) {
    PutString(&out, job.lease->runner);
    PutVarint(&out, job.lease->attempt);
    PutSigned(&out, job.lease->deadline_ms);
  }
  PutVarint(&out, job.history.size());
  for (const AttemptRecord& a : job.history) {
    PutVarint(&out, a.attempt);
    PutString(&out, a.runner);
    PutString(&out, a.reason);
    PutSigned(&out, a.at_ms);
  }
  PutString(&out, job.failure_reason);
  PutString(&out, job.overrides);
  if (uncounted) PutVarint(&out, job.uncounted_attempts);
  return out;
}

Status DecodeJob(std::string_view bytes, JobRecord* job) {
  Reader r(bytes);
  const std::uint8_t version = r.Byte();
  if (version != kRecordVersion && version != kJobVersionUncounted) {
    return Status::Corruption("job record has an unknown version byte");
  }
  std::uint8_t state = r.Byte();
  job->attempt = static_cast<Attempt>(r.Varint());
  job->lease.reset();
  if (r.Byte() != 0) {
    Lease l;
    l.runner = r.String();
    l.attempt = static_cast<Attempt>(r.Varint());
    l.deadline_ms = r.Signed();
    job->lease = std::move(l);
  }
  std::uint64_t n = r.Varint();
  job->history.clear();
  for (std::uint64_t i = 0; i < n && !r.failed(); ++i) {
    AttemptRecord a;
    a.attempt = static_cast<Attempt>(r.Varint());
    a.runner = r.String();
    a.reason = r.String();
    a.at_ms = r.Signed();
    job->history.push_back(std::move(a));
  }
  job->failure_reason = r.String();
  job->overrides = r.String();
  job->uncounted_attempts =
      version == kJobVersionUncounted ? static_cast<Attempt>(r.Varint()) : Attempt{0};
  S1MPLE_RETURN_IF_ERROR(Finish(r, "job"));
  if (state > static_cast<std::uint8_t>(JobState::kFailed)) {
    return Status::Corruption("job record has an unknown state");
  }
  job->state = static_cast<JobState>(state);
  return Status::Ok();
}

}  // namespace s1mple::store::codec
