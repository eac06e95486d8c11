// Self-signed EC test certificate (SAN DNS:localhost, IP:127.0.0.1) written with the OpenSSL API.
#include <cstdio>
#include <memory>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "voxline_sim/simulator.hpp"

namespace voxline::sim {
namespace {

struct FileCloser {
  void operator()(FILE *f) const {
    if (f != nullptr) std::fclose(f);
  }
};

}  // namespace

Status write_test_certificate(const std::string &cert_file, const std::string &key_file,
                              const std::string &subject_alt_names) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  if (!key) return internal_error("write_test_certificate: EC key generation failed");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!cert) return internal_error("write_test_certificate: X509_new failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 2L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME *name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("localhost"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, const char *> exts[] = {
      {NID_subject_alt_name, subject_alt_names.c_str()},
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_key_usage, "critical,digitalSignature,keyCertSign"},
  };
  for (const auto &[nid, value] : exts) {
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    if (ext == nullptr) return internal_error("write_test_certificate: bad extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return internal_error("write_test_certificate: signing failed");
  std::unique_ptr<FILE, FileCloser> kf(std::fopen(key_file.c_str(), "wb"));
  if (!kf) return invalid_argument("write_test_certificate: cannot write " + key_file);
  if (PEM_write_PrivateKey(kf.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return internal_error("write_test_certificate: cannot write the key");
  std::unique_ptr<FILE, FileCloser> cf(std::fopen(cert_file.c_str(), "wb"));
  if (!cf) return invalid_argument("write_test_certificate: cannot write " + cert_file);
  if (PEM_write_X509(cf.get(), cert.get()) != 1)
    return internal_error("write_test_certificate: cannot write the cert");
  return Status::Ok();
}

}  // namespace voxline::sim
