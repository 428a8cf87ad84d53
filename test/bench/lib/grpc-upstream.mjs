#!/usr/bin/env node
// The gRPC benchmarks' upstream: a grpc-js server (h2c) whose bench.Echo/Unary answers every call
// with its request bytes. No .proto: messages are raw bytes.
//   node test/bench/lib/grpc-upstream.mjs PORT
import * as grpc from '@grpc/grpc-js';

const raw = (b) => b;
const server = new grpc.Server();
server.addService({
  Unary: { path: '/bench.Echo/Unary', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
}, { Unary: (call, cb) => cb(null, call.request) });
server.bindAsync(`127.0.0.1:${process.argv[2]}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) { console.error(err.message); process.exit(1); }
  console.log('listening');
});
