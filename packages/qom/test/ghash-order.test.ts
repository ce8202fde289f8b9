import { describe, expect, it } from 'vitest';
import { ghashFirstKey, unexpectedMember } from '../src/ghash-order.js';

// The members object-add visits for an iothread, in QAPI schema order.
const OBJECT_ADD_IOTHREAD = ['qom-type', 'id', 'aio-max-batch', 'thread-pool-min', 'thread-pool-max', 'poll-max-ns', 'poll-grow', 'poll-shrink'];

describe('GLib GHashTable order of leftover keys', () => {
  it('names the key qemu-system 7.2 names, whatever the input order', () => {
    // Recorded: query-iothreads {"zzz":1,"aaa":2} and {"aaa":2,"zzz":1} both
    // give `Parameter 'zzz' is unexpected`; {"foo","bar","x"} gives 'bar'.
    expect(unexpectedMember(['zzz', 'aaa'], [])).toBe('zzz');
    expect(unexpectedMember(['aaa', 'zzz'], [])).toBe('zzz');
    expect(unexpectedMember(['x', 'bar', 'foo'], [])).toBe('bar');
    expect(unexpectedMember(['qom-type', 'id', 'poll-max-ns', 'poll-grow'], ['qom-type', 'id', 'aio-max-batch', 'thread-pool-min', 'thread-pool-max'])).toBe(
      'poll-grow',
    );
  });

  it('is undefined when every member is visited', () => {
    expect(unexpectedMember(['qom-type', 'id'], OBJECT_ADD_IOTHREAD)).toBeUndefined();
    expect(unexpectedMember([], [])).toBeUndefined();
    expect(ghashFirstKey(['a'], ['a'])).toBeUndefined();
  });

  // Random argument sets sent to qemu-system-x86_64 7.2 (query-iothreads with
  // no members, object-add of an iothread), where QEMU named another key than
  // the first unknown one in input order: integer-like and non-ASCII keys,
  // tables that grow past 8 slots and shrink again as members are consumed.
  it.each([
    [["zd", "5", "x", "d3ncf", "-epf", "_d7ho", "8d78zd", "c6", "s-"], [], "-epf"],
    [["aio-max-batch", "poll-shrink", "dén25", "mxg6e", "thread-pool-min", "8", "qom-type", "id", "thread-pool-max", "u080", "poll-grow", "h7t6l"], OBJECT_ADD_IOTHREAD, "h7t6l"],
    [["ce67", "vw9", "80ef", "1ed", "t7.syw", "0", "kéh", "dnsi", "pzz2fk", "z6ri", "6r-w", "yojflj"], [], "pzz2fk"],
    [["poll-shrink", "oa28lq", "thread-pool-max", "poll-grow", "xé7ui", "poll-max-ns", "aj-", "3éd06z", "thread-pool-min", "zzg1", "id", "qom-type"], OBJECT_ADD_IOTHREAD, "3éd06z"],
    [["qw9x1h", "2", "11tf", "gv", "q1k4bn"], [], "gv"],
    [["poll-grow", "poll-max-ns", "i_mnb", "53voé", "wj66ib", "thread-pool-min", "id", "tfq4x", "ns3", "wxfo", "wo", "aio-max-batch", "om42wb", "j5b", "g", "qom-type", "vfz0zf", "hym1l_", "mvn1", "thread-pool-max", "jé91", "r", "o", "éa1wf", "kkibj8", "qm9w", "pz"], OBJECT_ADD_IOTHREAD, "tfq4x"],
    [["4461g6", "p", "rc", "3", "6be.", "é39", "mr.35", "3p4q", "m.i-h"], [], "mr.35"],
    [["n", "thread-pool-min", "0.byv", "thjxjq", "v", "gz2kok", "0o", "ufx", "uep_", "aio-max-batch", "qom-type", "rcl", "id", "poll-shrink", "_3zv-m", "és3eh", "gf", "thread-pool-max"], OBJECT_ADD_IOTHREAD, "0o"],
    [["h0a", "6-r", "ic4ph"], [], "ic4ph"],
    [["poll-grow", "qom-type", "thread-pool-min", "t4n", "id", "aio-max-batch", "poll-max-ns", ".3l", "dlm", "poll-shrink", "a", "wbq"], OBJECT_ADD_IOTHREAD, "a"],
    [["wdia", "q", "kdfy", "s9psc", "lkr."], [], "lkr."],
    [["aio-max-batch", "qom-type", "of8", "jc3_3i", "i", "poll-shrink", "37b8o", "sé", "thread-pool-min", "xgy.6d", "id", "poll-grow", "j9yu2", "b5p2qa", "b"], OBJECT_ADD_IOTHREAD, "b"],
    [["scéme9", "vq", "té7ia1", "2", "gn2", "4s0", "0h6m", "f1b", "0e3", "rynn", "8", "j"], [], "f1b"],
    [["hmas", "s", "jpr_3u", "qom-type", "6", "z", "6nfd-", "wyuh", "poll-max-ns", "xez", "éis2", ".ztj", "xi9", "thread-pool-min", "id", "vstq", "3rhxo2", "qzpt16", "poll-grow", "8ex_", "k1", "auv", "drg", "zbka", "x_"], OBJECT_ADD_IOTHREAD, "3rhxo2"],
  ])('%j names what QEMU named', (members, visited, qemu) => {
    expect(unexpectedMember(members, visited)).toBe(qemu);
  });
});
