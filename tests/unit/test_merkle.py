"""domain/merkle.py against the RFC 6962 / Certificate Transparency reference vectors, and every proof of
small trees checked both ways (each verifies; a wrong index, size, leaf or head does not)."""
from __future__ import annotations

import pytest

from domain import merkle

ENTRIES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                      "606162636465666768696a6b6c6d6e6f")]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]
ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]


def hexes(nodes):
    return [n.hex() for n in nodes]


@pytest.mark.parametrize("size", range(0, 9))
def test_the_tree_head_of_each_size_is_the_rfcs(size):
    assert merkle.root(LEAVES[:size]).hex() == ROOTS[size]


def test_inclusion_proofs_are_the_reference_ones():
    assert hexes(merkle.inclusion_proof(LEAVES, 0)) == [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
    assert hexes(merkle.inclusion_proof(LEAVES, 5)) == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]


def test_consistency_proofs_are_the_reference_ones():
    assert hexes(merkle.consistency_proof(LEAVES, 2)) == [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]
    assert hexes(merkle.consistency_proof(LEAVES[:5], 2)) == [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]
    assert hexes(merkle.consistency_proof(LEAVES, 6)) == [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]


def test_every_proof_of_small_trees_verifies_and_nothing_else_does():
    leaves = [merkle.leaf_hash(bytes([i, i * 7 % 256])) for i in range(21)]
    for n in range(1, len(leaves) + 1):
        tree, head = leaves[:n], merkle.root(leaves[:n])
        for i in range(n):
            proof = merkle.inclusion_proof(tree, i)
            assert merkle.verify_inclusion(tree[i], i, n, proof, head)
            assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), i, n, proof, head)
            if n > 1:
                assert not merkle.verify_inclusion(tree[i], (i + 1) % n, n, proof, head)
                assert not merkle.verify_inclusion(tree[i], i, n, proof, merkle.root(tree[:-1]))
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(tree, m)
            old = merkle.root(tree[:m])
            assert merkle.verify_consistency(m, n, old, head, proof)
            if m < n:
                assert not merkle.verify_consistency(m, n, merkle.leaf_hash(b"x"), head, proof)
                assert not merkle.verify_consistency(m, n, old, merkle.leaf_hash(b"x"), proof)
                rewritten = tree[:m - 1] + [merkle.leaf_hash(b"rewritten")] + tree[m:]
                assert not merkle.verify_consistency(m, n, old, merkle.root(rewritten), merkle.consistency_proof(
                    rewritten, m))
