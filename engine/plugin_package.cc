// Plugin packages (engine/plugin_package.h): the stamp read from the ELF file, dlopen and the
// entry point, Python modules through the bridge, the per-process caches, `plugins:` lists.
#include "engine/plugin_package.h"

#include <dlfcn.h>
#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "common/thread_annotations.h"
#include "engine/plugin_abi.h"
#include "engine/python_bridge.h"
#include "engine/yaml_util.h"

namespace s1mple::engine {

namespace fs = std::filesystem;

PackageKind PackageRef::kind() const {
  return fs::path(name).extension() == ".py" ? PackageKind::kPython : PackageKind::kCpp;
}

// ---- plugins: lists ----------------------------------------------------------------------------

Result<std::vector<PackageRef>> ParsePluginsList(const YAML::Node& node, std::string_view origin,
                                                 std::string_view yaml_path, const fs::path& dir) {
  std::vector<PackageRef> out;
  if (!node || node.IsNull()) return out;
  std::vector<YAML::Node> items;
  if (node.IsScalar())
    items.push_back(node);
  else if (node.IsSequence())
    for (const auto& n : node) items.push_back(n);
  else
    return yaml::Error(origin, yaml_path, node,
                       "expected a list of package files (plugins: [libmy_signals.so, my.py])");
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string path = yaml::Index(yaml_path, i);
    if (!items[i].IsScalar() || items[i].Scalar().empty())
      return yaml::Error(origin, path, items[i],
                         "expected the path of a package file, got " + yaml::Describe(items[i]));
    PackageRef ref;
    const fs::path written = items[i].Scalar();
    ref.name = written.filename().string();
    if (ref.name.empty() || ref.name == "." || ref.name == "..")
      return yaml::Error(origin, path, items[i], "'" + written.string() + "' names no file");
    ref.path = written.is_absolute() || dir.empty() ? written : (dir / written).lexically_normal();
    ref.named_by = std::string(origin) + ": " + path;
    out.push_back(std::move(ref));
  }
  return out;
}

// ---- stamps
// --------------------------------------------------------------------------------------

namespace {

std::string MachineName(uint16_t m) {
  switch (m) {
    case EM_X86_64:
      return "x86_64";
    case EM_AARCH64:
      return "aarch64";
    case EM_386:
      return "i386";
    case EM_ARM:
      return "arm";
    case EM_RISCV:
      return "riscv";
    case EM_PPC64:
      return "ppc64";
    case EM_S390:
      return "s390";
    default:
      return "ELF machine " + std::to_string(m);
  }
}

std::string HostElfArch() {
#if defined(__x86_64__)
  return MachineName(EM_X86_64);
#elif defined(__aarch64__)
  return MachineName(EM_AARCH64);
#else
  return "unknown";
#endif
}

// Splits "s1mple-plugin;abi=2;sdk=..." into its fields.
Status ParseStampText(std::string_view text, PackageStamp& out) {
  out.text = std::string(text);
  const std::string_view magic = "s1mple-plugin";
  if (text.substr(0, magic.size()) != magic)
    return Status::InvalidArgument("its stamp is not an s1mple plugin stamp: '" +
                                   std::string(text) + "'");
  std::map<std::string, std::string, std::less<>> fields;
  size_t pos = magic.size();
  while (pos < text.size()) {
    if (text[pos] == ';') ++pos;
    const size_t end = std::min(text.find(';', pos), text.size());
    const std::string_view kv = text.substr(pos, end - pos);
    const size_t eq = kv.find('=');
    if (eq != std::string_view::npos)
      fields[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
    pos = end;
  }
  out.abi = fields["abi"];
  out.sdk = fields["sdk"];
  out.compiler = fields["compiler"];
  out.arch = fields["arch"];
  out.cxx11abi = fields["cxx11abi"];
  return Status::Ok();
}

}  // namespace

Result<PackageStamp> ReadPackageStamp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path.string() + ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  auto not_package = [&](const std::string& why) {
    return Status::InvalidArgument("not a plugin package: " + why);
  };
  if (bytes.size() < EI_NIDENT || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
    return not_package("not an ELF shared library (build it with the SDK, docs/PLUGINS_GUIDE.md)");
  if (bytes[EI_CLASS] != ELFCLASS64) return not_package("a 32-bit ELF file; s1mple is 64-bit");
  if (bytes[EI_DATA] != ELFDATA2LSB) return not_package("a big-endian ELF file");
  if (bytes.size() < sizeof(Elf64_Ehdr)) return not_package("a truncated ELF file");
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  PackageStamp stamp;
  stamp.elf_arch = MachineName(eh.e_machine);
  if (eh.e_type != ET_DYN) return not_package("an ELF file that is not a shared library");
  // The section headers and their names.
  const uint64_t shoff = eh.e_shoff;
  const uint64_t shnum = eh.e_shnum;
  if (shoff == 0 || shnum == 0 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
      shoff + shnum * sizeof(Elf64_Shdr) > bytes.size() || eh.e_shstrndx >= shnum)
    return not_package("an ELF file without usable section headers");
  auto section = [&](uint64_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, bytes.data() + shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    return sh;
  };
  const Elf64_Shdr names = section(eh.e_shstrndx);
  if (names.sh_offset + names.sh_size > bytes.size())
    return not_package("an ELF file with a truncated section name table");
  for (uint64_t i = 0; i < shnum; ++i) {
    const Elf64_Shdr sh = section(i);
    if (sh.sh_name >= names.sh_size) continue;
    const char* name = bytes.data() + names.sh_offset + sh.sh_name;
    const size_t max_len = names.sh_size - sh.sh_name;
    if (std::string_view(name, strnlen(name, max_len)) != S1MPLE_PLUGIN_STAMP_SECTION) continue;
    if (sh.sh_type == SHT_NOBITS || sh.sh_offset + sh.sh_size > bytes.size())
      return not_package("its stamp section is empty or truncated");
    const char* text = bytes.data() + sh.sh_offset;
    S1MPLE_RETURN_IF_ERROR(
        ParseStampText(std::string_view(text, strnlen(text, sh.sh_size)), stamp));
    return stamp;
  }
  // Without a stamp the architecture still tells a useful story.
  if (stamp.elf_arch != HostElfArch())
    return Status::FailedPrecondition("built for " + stamp.elf_arch + "; this s1mple runs on " +
                                      HostElfArch() + " (rebuild the package on " + HostElfArch() +
                                      ")");
  return not_package(
      "a shared library without the s1mple stamp (a package defines its entry point with "
      "S1MPLE_PLUGIN_PACKAGE from <s1mple/plugin.h>)");
}

const PackageStamp& HostStamp() {
  static const PackageStamp stamp = [] {
    PackageStamp s;
    (void)ParseStampText(S1MPLE_PLUGIN_STAMP_OF_THIS_BUILD, s);
    s.elf_arch = HostElfArch();
    return s;
  }();
  return stamp;
}

Status CheckPackageStamp(const PackageStamp& p) {
  const PackageStamp& h = HostStamp();
  const std::string rebuild = ": rebuild it against this s1mple's SDK (docs/PLUGINS_GUIDE.md)";
  if (p.elf_arch != h.elf_arch)
    return Status::FailedPrecondition("built for " + p.elf_arch + "; this s1mple runs on " +
                                      h.elf_arch + " (rebuild the package on " + h.elf_arch + ")");
  if (p.arch != h.arch)
    return Status::FailedPrecondition("stamped for architecture " + p.arch +
                                      "; this s1mple runs on " + h.arch + rebuild);
  if (p.abi != h.abi)
    return Status::FailedPrecondition("built for plugin ABI " + p.abi + "; this s1mple has ABI " +
                                      h.abi + rebuild);
  if (p.sdk != h.sdk)
    return Status::FailedPrecondition("built with SDK version " + p.sdk + "; this s1mple is " +
                                      h.sdk + rebuild);
  if (p.compiler != h.compiler)
    return Status::FailedPrecondition("built with compiler " + p.compiler +
                                      "; this s1mple was built with " + h.compiler +
                                      ": rebuild it with " + h.compiler);
  if (p.cxx11abi != h.cxx11abi)
    return Status::FailedPrecondition("built with _GLIBCXX_USE_CXX11_ABI=" + p.cxx11abi +
                                      "; this s1mple uses " + h.cxx11abi + rebuild);
  return Status::Ok();
}

// ---- loading -----------------------------------------------------------------------------------

namespace {

using RegisterFn = int (*)(PluginRegistry*, Status*);

Result<std::shared_ptr<PluginRegistry>> LoadSharedLibrary(const PackageRef& ref) {
  auto stamp = ReadPackageStamp(ref.path);
  if (!stamp.ok()) return stamp.status();
  S1MPLE_RETURN_IF_ERROR(CheckPackageStamp(*stamp));
  // The stamp fits: now, and only now, the package's code may run (its static constructors run
  // in dlopen).
  dlerror();
  void* handle = ::dlopen(ref.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    return Status::FailedPrecondition(
        std::string("dlopen refused it: ") + (e ? e : "unknown error") +
        " (a symbol this s1mple lacks means the package was built against another SDK)");
  }
  auto fn = reinterpret_cast<RegisterFn>(::dlsym(handle, S1MPLE_PLUGIN_REGISTER_SYMBOL));
  if (!fn)
    return Status::InvalidArgument("has no entry point " S1MPLE_PLUGIN_REGISTER_SYMBOL
                                   " (define it with S1MPLE_PLUGIN_PACKAGE)");
  auto registry = std::make_shared<PluginRegistry>();
  registry->SetDefaultPackage(ref.name);
  Status st;
  try {
    fn(registry.get(), &st);
  } catch (const std::exception& e) {
    st = Status::Internal(std::string("threw: ") + e.what());
  } catch (...) {
    st = Status::Internal("threw an exception that is not a std::exception");
  }
  if (!st.ok()) return Status::InvalidArgument("registering its plugins failed: " + st.message());
  return registry;
}

Result<std::shared_ptr<PluginRegistry>> LoadPythonModule(const PackageRef& ref) {
  if (!fs::exists(ref.path)) return Status::NotFound(ref.path.string() + ": no such file");
  auto bridge = GetPythonBridge();
  if (!bridge.ok()) return bridge.status();
  auto registry = std::make_shared<PluginRegistry>();
  registry->SetDefaultPackage(ref.name);
  S1MPLE_RETURN_IF_ERROR((*bridge)->LoadModule(ref.path, *registry));
  return registry;
}

// The caches of this process (one mutex: loads are rare and brief next to the jobs they serve).
struct Caches {
  Mutex mu;
  // Loaded packages by canonical file path.
  std::map<std::string, std::shared_ptr<const PluginRegistry>> packages GUARDED_BY(mu);
  // Merged registries by (base, canonical paths).
  std::map<std::string, std::shared_ptr<const PluginRegistry>> merged GUARDED_BY(mu);
};
Caches& TheCaches() {
  static Caches* caches = new Caches;  // never destroyed: packages are never unloaded
  return *caches;
}

std::string CanonicalKey(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return (ec ? fs::absolute(p) : c).string();
}

Status InPackage(const PackageRef& ref, const Status& s) {
  return s.WithContext(ref.named_by.empty() ? ref.name : ref.named_by + ": " + ref.name);
}

// LoadPackage with the cache's mutex held.
Result<std::shared_ptr<const PluginRegistry>> LoadPackageLocked(Caches& c, const PackageRef& ref)
    REQUIRES(c.mu) {
  const std::string key = CanonicalKey(ref.path);
  if (auto it = c.packages.find(key); it != c.packages.end()) return it->second;
  if (!fs::exists(ref.path))
    return InPackage(ref, Status::NotFound(ref.path.string() + ": no such file"));
  auto loaded = ref.kind() == PackageKind::kPython ? LoadPythonModule(ref) : LoadSharedLibrary(ref);
  if (!loaded.ok()) return InPackage(ref, loaded.status());
  if ((*loaded)->size() == 0) return InPackage(ref, Status::InvalidArgument("registers no plugin"));
  std::shared_ptr<const PluginRegistry> done = std::move(loaded).value();
  c.packages.emplace(key, done);
  return done;
}

}  // namespace

Result<std::shared_ptr<const PluginRegistry>> LoadPackage(const PackageRef& ref) {
  Caches& c = TheCaches();
  MutexLock lock(&c.mu);
  return LoadPackageLocked(c, ref);
}

Result<std::shared_ptr<const PluginRegistry>> RegistryWithPackages(
    const PluginRegistry& base, std::span<const PackageRef> packages) {
  Caches& c = TheCaches();
  MutexLock lock(&c.mu);
  // The distinct files, in order; two files of one name cannot both travel with a sweep.
  std::vector<const PackageRef*> files;
  std::vector<std::string> keys;
  std::map<std::string, size_t> by_name;
  for (const auto& ref : packages) {
    const std::string key = CanonicalKey(ref.path);
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    if (auto it = by_name.find(ref.name); it != by_name.end()) {
      const PackageRef& first = *files[it->second];
      return InPackage(ref, Status::InvalidArgument(
                                "another package of the same file name is listed (" +
                                first.path.string() + ", " + first.named_by + "; this one is " +
                                ref.path.string() + "): give them different file names"));
    }
    by_name[ref.name] = files.size();
    files.push_back(&ref);
    keys.push_back(key);
  }
  // Only merges onto the process-wide built-ins are kept: another base may not outlive the call.
  const bool cached = &base == &DefaultRegistry();
  std::string cache_key;
  for (const auto& k : keys) cache_key += k + "\n";
  if (cached)
    if (auto it = c.merged.find(cache_key); it != c.merged.end()) return it->second;
  auto merged = std::make_shared<PluginRegistry>(base);
  for (const PackageRef* ref : files) {
    auto pkg = LoadPackageLocked(c, *ref);
    if (!pkg.ok()) return pkg.status();
    Status s = merged->Merge(**pkg);
    if (!s.ok()) return InPackage(*ref, s);
  }
  std::shared_ptr<const PluginRegistry> done = std::move(merged);
  if (cached) c.merged.emplace(std::move(cache_key), done);
  return done;
}

}  // namespace s1mple::engine
