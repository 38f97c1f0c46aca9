// SPDX-License-Identifier: Apache-2.0
// protobuf_encode.cc: the .proto texts of a registry subject parsed at run
// time into a DescriptorPool (compiler::Parser, one file at a time, fed from
// memory), the well-known types taken from libprotobuf's own generated
// pool, and a JSON body turned into the chosen message by libprotobuf's
// proto3 JSON mapping. Nothing throws across the C boundary.
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include "apr_strings.h"

#include "protobuf_encode.h"

namespace pb = google::protobuf;

// The main file's name in the pool: imports never name it.
static const char kMainName[] = "ku-registry-subject.proto";

namespace {

class BuildErrors : public pb::DescriptorPool::ErrorCollector {
  public:
    // A lookup by a request (an Any's type) may build a file late: locked.
    std::string text()
    {
        std::lock_guard<std::mutex> hold(lock);
        return first.empty() ? std::string("the schema does not build") : first;
    }
    void AddError(const std::string &filename, const std::string &element_name,
                  const pb::Message *, ErrorLocation, const std::string &message) override
    {
        std::lock_guard<std::mutex> hold(lock);
        if (first.empty())
            first = filename + ": " + (element_name.empty() ? "" : element_name + ": ")
                    + message;
    }

  private:
    std::mutex lock;
    std::string first;
};

}  // namespace

struct ku_pb_schema {
    BuildErrors errors;
    pb::SimpleDescriptorDatabase files;
    pb::DescriptorPoolDatabase well_known{*pb::DescriptorPool::generated_pool()};
    pb::MergedDescriptorDatabase merged{&files, &well_known};
    pb::DescriptorPool pool{&merged, &errors};
    std::unique_ptr<pb::DynamicMessageFactory> factory;
    const pb::Descriptor *message = nullptr;
    const pb::Message *prototype = nullptr;
    std::string indexes;      // the message indexes, already encoded
};

namespace {

class ParseErrors : public pb::io::ErrorCollector {
  public:
    std::string first;
    void AddError(int line, pb::io::ColumnNumber column, const std::string &message) override
    {
        if (first.empty())
            first = "line " + std::to_string(line + 1) + ":" + std::to_string(column + 1)
                    + ": " + message;
    }
};

void say(char *why, size_t why_len, const std::string &text)
{
    if (why_len)
        apr_cpystrn(why, text.c_str(), why_len);
}

// One .proto text into the database under name; false and why on error.
bool add_file(ku_pb_schema *s, const char *name, const char *text, std::string *why)
{
    size_t len = std::strlen(text);
    if (len > KU_PB_MAX_PROTO_BYTES) {
        *why = std::string(name) + ": larger than " + std::to_string(KU_PB_MAX_PROTO_BYTES)
               + " bytes";
        return false;
    }
    pb::io::ArrayInputStream in(text, (int)len);
    ParseErrors errors;
    pb::io::Tokenizer tokenizer(&in, &errors);
    pb::compiler::Parser parser;
    parser.RecordErrorsTo(&errors);
    pb::FileDescriptorProto proto;
    if (!parser.Parse(&tokenizer, &proto) || !errors.first.empty()) {
        *why = std::string(name == kMainName ? "the schema" : name) + ": " + errors.first;
        return false;
    }
    proto.set_name(name);
    if (!s->files.Add(proto)) {
        *why = std::string(name) + ": imported twice";
        return false;
    }
    return true;
}

// The path of indexes from the file's top level down to d.
std::vector<int> index_path(const pb::Descriptor *d)
{
    std::vector<int> path;
    for (; d; d = d->containing_type())
        path.insert(path.begin(), d->index());
    return path;
}

void put_zigzag(std::string *out, int value)
{
    unsigned int v = ((unsigned int)value << 1) ^ (unsigned int)(value >> 31);
    do {
        unsigned char byte = v & 0x7F;
        v >>= 7;
        out->push_back((char)(byte | (v ? 0x80 : 0)));
    } while (v);
}

// Confluent's message indexes: a lone 0 stands for [0], the first message.
std::string encode_indexes(const std::vector<int> &path)
{
    std::string out;
    if (path.size() == 1 && path[0] == 0) {
        put_zigzag(&out, 0);
        return out;
    }
    put_zigzag(&out, (int)path.size());
    for (int i : path)
        put_zigzag(&out, i);
    return out;
}

ku_pb_schema_t *parse(const char *main_text, const ku_pb_file_t *files, int nfiles,
                      const char *message, std::string *why)
{
    std::unique_ptr<ku_pb_schema> s(new ku_pb_schema());
    if (nfiles + 1 > KU_PB_MAX_FILES) {
        *why = "more than " + std::to_string(KU_PB_MAX_FILES) + " files";
        return nullptr;
    }
    for (int i = 0; i < nfiles; i++)
        if (!add_file(s.get(), files[i].name, files[i].text, why))
            return nullptr;
    if (!add_file(s.get(), kMainName, main_text, why))
        return nullptr;
    pb::FileDescriptorProto proto, scratch;
    s->files.FindFileByName(kMainName, &proto);
    for (int i = 0; i < proto.dependency_size(); i++)
        if (!s->merged.FindFileByName(proto.dependency(i), &scratch)) {
            *why = "import \"" + proto.dependency(i) + "\" is neither a reference of the "
                   "subject nor a well-known type";
            return nullptr;
        }
    const pb::FileDescriptor *main = s->pool.FindFileByName(kMainName);
    if (!main) {
        *why = s->errors.text();
        return nullptr;
    }
    if (message)
        s->message = s->pool.FindMessageTypeByName(message);
    else if (main->message_type_count())
        s->message = main->message_type(0);
    if (!s->message || (message && s->message->file() != main)) {
        *why = message ? std::string("the schema has no message ") + message
                       : std::string("the schema has no message");
        return nullptr;
    }
    s->factory.reset(new pb::DynamicMessageFactory(&s->pool));
    s->prototype = s->factory->GetPrototype(s->message);
    s->indexes = encode_indexes(index_path(s->message));
    return s.release();
}

// Whether the JSON text nests arrays and objects at most max deep (strings
// skipped). libprotobuf's parser takes seconds for a google.protobuf.Value
// nested some thousand times: such a body is refused before it asks.
bool nesting_within(const char *doc, size_t len, int max)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = doc[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        }
        else if (c == '"')
            in_string = true;
        else if ((c == '[' || c == '{') && ++depth > max)
            return false;
        else if (c == ']' || c == '}')
            depth--;
    }
    return true;
}

}  // namespace

extern "C" int ku_pb_available(void)
{
    return 1;
}

extern "C" ku_pb_schema_t *ku_pb_schema_parse(const char *main_text, const ku_pb_file_t *files,
                                              int nfiles, const char *message, char *why,
                                              size_t why_len)
{
    std::string error;
    try {
        ku_pb_schema_t *s = parse(main_text, files, nfiles, message, &error);
        if (!s)
            say(why, why_len, error);
        return s;
    } catch (const std::exception &e) {
        say(why, why_len, std::string("libprotobuf: ") + e.what());
    }
    return nullptr;
}

extern "C" void ku_pb_schema_free(ku_pb_schema_t *s)
{
    delete s;
}

extern "C" const char *ku_pb_message_name(const ku_pb_schema_t *s)
{
    return s->message->full_name().c_str();
}

extern "C" int ku_pb_encode(apr_pool_t *p, const ku_pb_schema_t *s, int id, const char *doc,
                            size_t len, char **out, size_t *out_len, const char **error)
{
    if (!nesting_within(doc, len, KU_PB_MAX_JSON_DEPTH)) {
        *error = apr_psprintf(p, "the JSON nests deeper than %d", KU_PB_MAX_JSON_DEPTH);
        return -1;
    }
    try {
        std::unique_ptr<pb::Message> msg(s->prototype->New());
        pb::util::JsonParseOptions options;
        options.ignore_unknown_fields = false;
        pb::util::Status st = pb::util::JsonStringToMessage(
            pb::StringPiece(doc, len), msg.get(), options);
        if (!st.ok()) {
            // Some refusals come without a message (an Any's payload).
            std::string text = st.message().empty() ? st.ToString() : std::string(st.message());
            for (char &c : text)   // it quotes the body: a NUL would cut it short
                if ((unsigned char)c < 0x20)
                    c = '?';
            if (text.empty())
                text = "the body does not fit the message";
            *error = apr_pstrndup(p, text.data(), text.size());
            return -1;
        }
        std::string bytes;
        if (!msg->SerializeToString(&bytes)) {
            *error = "the message cannot be serialized (a required field is missing?)";
            return -1;
        }
        size_t n = 5 + s->indexes.size() + bytes.size();
        char *buf = (char *)apr_palloc(p, n);
        buf[0] = 0;
        buf[1] = (char)((unsigned int)id >> 24);
        buf[2] = (char)((unsigned int)id >> 16);
        buf[3] = (char)((unsigned int)id >> 8);
        buf[4] = (char)id;
        memcpy(buf + 5, s->indexes.data(), s->indexes.size());
        memcpy(buf + 5 + s->indexes.size(), bytes.data(), bytes.size());
        *out = buf;
        *out_len = n;
        return 0;
    } catch (const std::exception &e) {
        *error = apr_pstrcat(p, "libprotobuf: ", e.what(), NULL);
    }
    return -1;
}
