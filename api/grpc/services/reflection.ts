import { create, toBinary, type DescFile, type DescMessage, type DescEnum } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import * as v1 from '../../../gen/grpc/reflection/v1/reflection_pb';
import * as v1alpha from '../../../gen/grpc/reflection/v1alpha/reflection_pb';

/** The request oneof, the same in both versions. */
type Request = { messageRequest: { case: string | undefined; value?: unknown } };
type ResponseInit = Parameters<typeof create<typeof v1.ServerReflectionResponseSchema>>[1];

/** Every file the served files need, by name, and the file declaring each symbol (message, enum, service, method). */
function indexFiles(roots: readonly DescFile[]) {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const addType = (file: DescFile, desc: DescMessage | DescEnum) => {
    symbols.set(desc.typeName, file);
    if (desc.kind === 'message') {
      for (const nested of desc.nestedMessages) addType(file, nested);
      for (const nested of desc.nestedEnums) addType(file, nested);
    }
  };
  const visit = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const m of file.messages) addType(file, m);
    for (const e of file.enums) addType(file, e);
    for (const s of file.services) {
      symbols.set(s.typeName, file);
      for (const m of s.methods) symbols.set(`${s.typeName}.${m.name}`, file);
    }
    file.dependencies.forEach(visit);
  };
  roots.forEach(visit);
  return { files, symbols };
}

/** A file and every file it imports, transitively, serialized (as grpc-go answers: clients need them all). */
function withDependencies(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (f: DescFile) => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    f.dependencies.forEach(visit);
  };
  visit(file);
  return out;
}

/**
 * Server reflection (grpc.reflection.v1 and v1alpha, which grpcurl asks first) from the generated
 * descriptors: list services, file by name, file containing a symbol. Extensions: none are declared.
 */
export function reflectionRpcs(opts: { files: readonly DescFile[]; services: readonly string[] }) {
  const { files, symbols } = indexFiles(opts.files);
  const NOT_FOUND = 5;

  function answer(req: Request): ResponseInit {
    const notFound = (what: string): ResponseInit => ({ messageResponse: { case: 'errorResponse', value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } } });
    const fileAnswer = (file: DescFile | undefined, what: string): ResponseInit =>
      file ? { messageResponse: { case: 'fileDescriptorResponse', value: { fileDescriptorProto: withDependencies(file) } } } : notFound(what);
    const { case: kind, value } = req.messageRequest;
    switch (kind) {
      case 'listServices':
        return { messageResponse: { case: 'listServicesResponse', value: { service: opts.services.map((name) => ({ name })) } } };
      case 'fileByFilename':
        return fileAnswer(files.get(value as string), `file ${String(value)}`);
      case 'fileContainingSymbol':
        return fileAnswer(symbols.get(value as string), `symbol ${String(value)}`);
      case 'allExtensionNumbersOfType':
        return symbols.has(value as string)
          ? { messageResponse: { case: 'allExtensionNumbersResponse', value: { baseTypeName: value as string, extensionNumber: [] } } }
          : notFound(`type ${String(value)}`);
      default:
        return { messageResponse: { case: 'errorResponse', value: { errorCode: 12, errorMessage: `${kind ?? 'an empty request'} is not supported` } } };
    }
  }

  const v1Impl: ServiceImpl<typeof v1.ServerReflection> = {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield create(v1.ServerReflectionResponseSchema, { ...answer(req), validHost: req.host, originalRequest: req });
    },
  };
  // The same messages under another package: the answers are built alike.
  const v1alphaImpl: ServiceImpl<typeof v1alpha.ServerReflection> = {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield create(v1alpha.ServerReflectionResponseSchema, { ...(answer(req) as object), validHost: req.host, originalRequest: req });
      }
    },
  };
  return { v1: v1Impl, v1alpha: v1alphaImpl };
}
