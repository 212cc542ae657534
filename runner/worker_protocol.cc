#include "runner/worker_protocol.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <msgpack.hpp>

namespace s1mple::runner {
namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void PackStr(Packer& p, std::string_view s) {
  p.pack_str(static_cast<uint32_t>(s.size()));
  p.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

std::string Framed(const msgpack::sbuffer& buf) {
  std::string out(4, '\0');
  uint32_t n = static_cast<uint32_t>(buf.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out.append(buf.data(), buf.size());
  return out;
}

std::string Str(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
  if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
  throw std::runtime_error("expected string");
}

std::map<std::string, std::string> StrMap(const msgpack::object& o) {
  if (o.type != msgpack::type::MAP) throw std::runtime_error("expected map");
  std::map<std::string, std::string> m;
  for (uint32_t i = 0; i < o.via.map.size; ++i)
    m[Str(o.via.map.ptr[i].key)] = Str(o.via.map.ptr[i].val);
  return m;
}

template <typename Fn>
void ForEachField(const msgpack::object& o, Fn fn) {
  if (o.type != msgpack::type::MAP) throw std::runtime_error("expected map");
  for (uint32_t i = 0; i < o.via.map.size; ++i) fn(Str(o.via.map.ptr[i].key), o.via.map.ptr[i].val);
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool ReadAll(int fd, char* out, size_t size) {
  while (size > 0) {
    ssize_t n = ::read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string EncodeWorkerRequest(const WorkerRequest& r) {
  msgpack::sbuffer buf;
  Packer p(buf);
  p.pack_map(7);
  PackStr(p, "sweep"), PackStr(p, r.job.sweep);
  PackStr(p, "index"), p.pack_uint64(r.job.index);
  PackStr(p, "attempt"), p.pack_uint32(r.job.attempt);
  PackStr(p, "kind"), PackStr(p, r.job.kind);
  PackStr(p, "overrides"), PackStr(p, r.job.overrides);
  PackStr(p, "artifacts");
  p.pack_map(static_cast<uint32_t>(r.job.artifacts.size()));
  for (const auto& [k, v] : r.job.artifacts) PackStr(p, k), PackStr(p, v);
  PackStr(p, "blobs");
  p.pack_map(static_cast<uint32_t>(r.blobs.size()));
  for (const auto& [k, v] : r.blobs) {
    PackStr(p, k);
    p.pack_bin(static_cast<uint32_t>(v.size()));
    p.pack_bin_body(v.data(), static_cast<uint32_t>(v.size()));
  }
  return Framed(buf);
}

std::string EncodeWorkerResponse(const JobOutput& o) {
  msgpack::sbuffer buf;
  Packer p(buf);
  p.pack_map(4);
  PackStr(p, "ok"), o.ok ? p.pack_true() : p.pack_false();
  PackStr(p, "result"), PackStr(p, o.result);
  PackStr(p, "error"), PackStr(p, o.error);
  PackStr(p, "retryable"), o.retryable ? p.pack_true() : p.pack_false();
  return Framed(buf);
}

Result<WorkerRequest> DecodeWorkerRequest(std::string_view body) {
  try {
    auto oh = msgpack::unpack(body.data(), body.size());
    WorkerRequest r;
    ForEachField(oh.get(), [&](const std::string& k, const msgpack::object& v) {
      if (k == "sweep")
        r.job.sweep = Str(v);
      else if (k == "index")
        r.job.index = v.as<uint64_t>();
      else if (k == "attempt")
        r.job.attempt = v.as<uint32_t>();
      else if (k == "kind")
        r.job.kind = Str(v);
      else if (k == "overrides")
        r.job.overrides = Str(v);
      else if (k == "artifacts")
        r.job.artifacts = StrMap(v);
      else if (k == "blobs")
        r.blobs = StrMap(v);
    });
    return r;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("worker request: ") + e.what());
  }
}

Result<JobOutput> DecodeWorkerResponse(std::string_view body) {
  try {
    auto oh = msgpack::unpack(body.data(), body.size());
    JobOutput o;
    ForEachField(oh.get(), [&](const std::string& k, const msgpack::object& v) {
      if (k == "ok")
        o.ok = v.as<bool>();
      else if (k == "result")
        o.result = Str(v);
      else if (k == "error")
        o.error = Str(v);
      else if (k == "retryable")
        o.retryable = v.as<bool>();
    });
    return o;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("worker response: ") + e.what());
  }
}

Result<bool> TakeFrame(std::string& buffer, std::string* body) {
  if (buffer.size() < 4) return false;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i)
    n |= static_cast<uint32_t>(static_cast<unsigned char>(buffer[i])) << (8 * i);
  if (n > kMaxPipeFrameBytes)
    return Status::Corruption("worker pipe frame of " + std::to_string(n) + " bytes");
  if (buffer.size() < 4 + static_cast<size_t>(n)) return false;
  body->assign(buffer, 4, n);
  buffer.erase(0, 4 + static_cast<size_t>(n));
  return true;
}

int RunWorkerProcess(int in_fd, int out_fd, JobExecutor& executor) {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);  // the runner decides when workers stop (Ctrl-C hits the group)
  std::signal(SIGTERM, SIG_DFL);
  std::map<std::string, std::string> blobs;
  ArtifactLookup lookup = [&blobs](const std::string& hash) -> const std::string* {
    auto it = blobs.find(hash);
    return it == blobs.end() ? nullptr : &it->second;
  };
  while (true) {
    char len[4];
    if (!ReadAll(in_fd, len, 4)) return 0;  // runner closed the pipe: done
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n |= static_cast<uint32_t>(static_cast<unsigned char>(len[i])) << (8 * i);
    if (n > kMaxPipeFrameBytes) return 3;
    std::string body(n, '\0');
    if (!ReadAll(in_fd, body.data(), n)) return 0;
    JobOutput out;
    auto req = DecodeWorkerRequest(body);
    if (!req.ok()) {
      out.error = req.status().ToString();
    } else {
      for (auto& [hash, bytes] : req->blobs) blobs[hash] = std::move(bytes);
      out = executor.Execute(req->job, lookup);
    }
    if (!WriteAll(out_fd, EncodeWorkerResponse(out))) return 0;
  }
}

}  // namespace s1mple::runner
