/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Copying caps: which caps may be derived (sel4-semantics §4.3), how Copy and Mint mask rights
 * (§4.2), and how badges and CNode guards are set (§4.4).
 */
#include "conf.h"

static seL4_BootInfo *bi;
static seL4_CPtr u, e;

static int setup(void **state)
{
    (void)state;
    bi = conf_boot(&u, &e); /* u: 64 KiB of RAM */
    return 0;
}

static seL4_CapRights_t rights(seL4_Word bits)
{
    seL4_CapRights_t r = {{bits}};
    return r;
}

/* ---- §4.3: derivation ------------------------------------------------------------------------ */

static void untyped_with_children_cannot_be_copied(void **state)
{
    (void)state;
    EXPECT_OK(conf_copy(e, u, seL4_AllRights)); /* no children yet: fine */
    EXPECT_OK(conf_delete(e));
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e + 1, 1));
    EXPECT_ERR(conf_copy(e, u, seL4_AllRights), seL4_RevokeFirst);
    EXPECT_ERR(conf_mint(e, u, seL4_AllRights, 0), seL4_RevokeFirst);
    assert_true(conf_is_empty(e));
    /* Move does not derive: an untyped with children moves. */
    EXPECT_OK(conf_move(e, u));
    EXPECT_CHILDREN(e, false, e + 1);
    EXPECT_OK(conf_move(u, e));
    /* Once the children are gone it can be copied again. */
    EXPECT_OK(conf_revoke(u));
    EXPECT_OK(conf_copy(e, u, seL4_AllRights));
}

static void frame_copies_are_unmapped(void **state)
{
    (void)state;
    seL4_CPtr img = bi->userImageFrames.start;
    keel_model_cap_info orig = conf_cap(img);
    assert_int_equal(orig.type, KEEL_MODEL_CAP_FRAME);
    assert_true(orig.mapped);
    assert_int_equal(orig.vaddr, 0x400000);
    assert_int_not_equal(orig.asid, 0);
    EXPECT_OK(conf_copy(e, img, seL4_AllRights));
    keel_model_cap_info cpy = conf_cap(e);
    assert_false(cpy.mapped);
    assert_int_equal(cpy.vaddr, 0);
    assert_int_equal(cpy.asid, 0);
    assert_int_equal(cpy.paddr, orig.paddr);
    assert_int_equal(cpy.rights, KEEL_MODEL_VM_READ_WRITE);
    assert_false(cpy.original);
    EXPECT_CHILDREN(img, false, e);
    /* Mint too; the original stays mapped. */
    EXPECT_OK(conf_mint(e + 1, seL4_CapInitThreadIPCBuffer, seL4_AllRights, 3));
    assert_false(conf_cap(e + 1).mapped);
    assert_true(conf_cap(seL4_CapInitThreadIPCBuffer).mapped);
    assert_true(conf_cap(img).mapped);
    /* Deleting a copy does not unmap the original (each frame cap owns its mapping). */
    EXPECT_OK(conf_delete(e));
    assert_true(conf_cap(img).mapped);
    /* Move does not derive: the mapping goes with the cap. */
    EXPECT_OK(conf_move(e, img));
    assert_true(conf_cap(e).mapped);
    assert_int_equal(conf_cap(e).vaddr, 0x400000);
    EXPECT_OK(conf_move(img, e));
}

static void unmapped_paging_structures_cannot_be_copied(void **state)
{
    (void)state;
    static const seL4_Word types[] = {seL4_X86_PageTableObject, seL4_X86_PageDirectoryObject,
                                      seL4_X86_PDPTObject, seL4_X64_PML4Object};
    for (size_t i = 0; i < CONF_ARRAY_LEN(types); i++) {
        seL4_CPtr s = e + 10 + i;
        EXPECT_OK(conf_retype(u, types[i], 0, s, 1));
        assert_false(conf_cap(s).mapped);
        EXPECT_ERR(conf_copy(e, s, seL4_AllRights), seL4_IllegalOperation);
        EXPECT_ERR(conf_mint(e, s, seL4_AllRights, 0), seL4_IllegalOperation);
        assert_true(conf_is_empty(e));
        /* Move and Mutate do not derive. */
        EXPECT_OK(conf_move(e, s));
        EXPECT_OK(conf_mutate(s, e, 42));
        assert_true(conf_cap(s).original);
    }
    /* The boot image's paging structures are mapped and copy fine. */
    for (seL4_CPtr s = bi->userImagePaging.start; s < bi->userImagePaging.end; s++) {
        keel_model_cap_info orig = conf_cap(s);
        assert_true(orig.mapped);
        seL4_CPtr d = e + 20 + (s - bi->userImagePaging.start);
        EXPECT_OK(conf_copy(d, s, seL4_AllRights));
        keel_model_cap_info cpy = conf_cap(d);
        assert_int_equal(cpy.type, orig.type);
        assert_int_equal(cpy.paddr, orig.paddr);
        assert_true(cpy.mapped);
        assert_false(cpy.original);
        EXPECT_CHILDREN(s, false, d);
    }
    assert_int_equal(conf_cap(bi->userImagePaging.start).type, KEEL_MODEL_CAP_PDPT);
    assert_int_equal(conf_cap(bi->userImagePaging.start + 1).type, KEEL_MODEL_CAP_PAGE_DIRECTORY);
    assert_int_equal(conf_cap(bi->userImagePaging.end - 1).type, KEEL_MODEL_CAP_PAGE_TABLE);
    /* The root VSpace has an ASID: it copies. */
    EXPECT_OK(conf_copy(e, seL4_CapInitThreadVSpace, seL4_NoRights));
    assert_int_equal(conf_cap(e).type, KEEL_MODEL_CAP_PML4);
    assert_int_equal(conf_cap(e).asid, conf_cap(seL4_CapInitThreadVSpace).asid);
}

static void caps_that_derive_to_nothing(void **state)
{
    (void)state;
    EXPECT_ERR(conf_copy(e, seL4_CapIRQControl, seL4_AllRights), seL4_IllegalOperation);
    EXPECT_ERR(conf_mint(e, seL4_CapIRQControl, seL4_AllRights, 1), seL4_IllegalOperation);
    EXPECT_ERR(conf_copy(e, seL4_CapIOPortControl, seL4_AllRights), seL4_IllegalOperation);
    assert_true(conf_is_empty(e));
}

static void everything_else_copies_as_is(void **state)
{
    (void)state;
    static const seL4_CPtr boot[] = {seL4_CapInitThreadTCB, seL4_CapInitThreadCNode,
                                     seL4_CapASIDControl,   seL4_CapInitThreadASIDPool,
                                     seL4_CapDomain,        seL4_CapBootInfoFrame};
    for (size_t i = 0; i < CONF_ARRAY_LEN(boot); i++) {
        seL4_CPtr d = e + i;
        EXPECT_OK(conf_copy(d, boot[i], seL4_NoRights));
        keel_model_cap_info a = conf_cap(boot[i]), b = conf_cap(d);
        assert_int_equal(b.type, a.type);
        assert_int_equal(b.paddr, a.paddr);
        assert_false(b.original);
    }
    /* A CNode copied with no rights is still a CNode (the mask only applies to EP, ntfn,
     * frame and reply caps): it serves as a root. */
    seL4_CPtr cn = e + 1;
    assert_int_equal(conf_cap(cn).radix, 12);
    assert_int_equal(conf_cap(cn).guard_size, 52);
    EXPECT_OK(seL4_CNode_Copy(cn, e + 10, 64, cn, seL4_CapDomain, 64, seL4_AllRights));
    assert_int_equal(conf_cap(e + 10).type, KEEL_MODEL_CAP_DOMAIN);
    /* An untyped copied with no rights still retypes. */
    EXPECT_OK(conf_copy(e + 11, u, seL4_NoRights));
    EXPECT_OK(conf_retype(e + 11, seL4_TCBObject, 0, e + 12, 1));
    EXPECT_OK(conf_copy(e + 13, e + 12, seL4_NoRights));
    assert_int_equal(conf_cap(e + 13).type, KEEL_MODEL_CAP_TCB);
}

/* ---- §4.2: rights ---------------------------------------------------------------------------- */

static void endpoint_and_notification_rights(void **state)
{
    (void)state;
    seL4_CPtr ep = e, nt = e + 1, s = e + 2;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, ep, 1));
    EXPECT_OK(conf_retype(u, seL4_NotificationObject, 0, nt, 1));
    assert_int_equal(conf_cap(ep).rights, 0xf);
    assert_int_equal(conf_cap(nt).rights, 0x3); /* Send and Receive only */
    for (seL4_Word m = 0; m < 16; m++) {
        EXPECT_OK(conf_copy(s, ep, rights(m)));
        assert_int_equal(conf_cap(s).rights, m);
        /* Rights only go down: asking for more from a reduced cap is ignored. */
        EXPECT_OK(conf_copy(s + 1, s, seL4_AllRights));
        assert_int_equal(conf_cap(s + 1).rights, m);
        EXPECT_OK(conf_copy(s + 2, s, rights(m ^ 0xf)));
        assert_int_equal(conf_cap(s + 2).rights, 0);
        EXPECT_OK(conf_mint(s + 3, s, rights(0xf), 0));
        assert_int_equal(conf_cap(s + 3).rights, m);
        for (seL4_CPtr d = s; d < s + 4; d++) {
            EXPECT_OK(conf_delete(d));
        }
        EXPECT_OK(conf_copy(s, nt, rights(m)));
        assert_int_equal(conf_cap(s).rights, m & 0x3);
        EXPECT_OK(conf_mint(s + 1, nt, rights(m), 1));
        assert_int_equal(conf_cap(s + 1).rights, m & 0x3);
        EXPECT_OK(conf_delete(s));
        EXPECT_OK(conf_delete(s + 1));
    }
    /* Bits above the four rights are ignored. */
    EXPECT_OK(conf_copy(s, ep, rights(~0ul ^ 0x4)));
    assert_int_equal(conf_cap(s).rights, 0xb);
}

static void frame_vm_rights(void **state)
{
    (void)state;
    seL4_CPtr f = e, ro = e + 1, ko = e + 2, s = e + 3;
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, f, 1));
    assert_int_equal(conf_cap(f).rights, KEEL_MODEL_VM_READ_WRITE);
    EXPECT_OK(conf_copy(ro, f, seL4_CanRead));
    EXPECT_OK(conf_copy(ko, f, seL4_NoRights));
    assert_int_equal(conf_cap(ro).rights, KEEL_MODEL_VM_READ_ONLY);
    assert_int_equal(conf_cap(ko).rights, KEEL_MODEL_VM_KERNEL_ONLY);
    for (seL4_Word m = 0; m < 16; m++) {
        bool read = (m & 2) != 0, write = (m & 1) != 0;
        /* ReadWrite: no Read -> KernelOnly (Write alone too); Read without Write -> ReadOnly. */
        EXPECT_OK(conf_copy(s, f, rights(m)));
        seL4_Word want = !read   ? KEEL_MODEL_VM_KERNEL_ONLY
                         : write ? KEEL_MODEL_VM_READ_WRITE
                                 : KEEL_MODEL_VM_READ_ONLY;
        assert_int_equal(conf_cap(s).rights, want);
        EXPECT_OK(conf_delete(s));
        /* ReadOnly stays ReadOnly with Read, else KernelOnly. */
        EXPECT_OK(conf_copy(s, ro, rights(m)));
        assert_int_equal(conf_cap(s).rights,
                         read ? KEEL_MODEL_VM_READ_ONLY : KEEL_MODEL_VM_KERNEL_ONLY);
        EXPECT_OK(conf_delete(s));
        /* KernelOnly stays KernelOnly. */
        EXPECT_OK(conf_mint(s, ko, rights(m), 0));
        assert_int_equal(conf_cap(s).rights, KEEL_MODEL_VM_KERNEL_ONLY);
        EXPECT_OK(conf_delete(s));
    }
}

/* ---- §4.4: badges and guards ----------------------------------------------------------------- */

static void badges(void **state)
{
    (void)state;
    seL4_CPtr ep = e, nt = e + 1, s = e + 2;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, ep, 1));
    EXPECT_OK(conf_retype(u, seL4_NotificationObject, 0, nt, 1));
    static const seL4_Word values[] = {1, 0x7f, 1ul << 32, 1ul << 63, ~0ul};
    for (size_t i = 0; i < CONF_ARRAY_LEN(values); i++) {
        seL4_CPtr obj[] = {ep, nt};
        for (size_t k = 0; k < 2; k++) {
            EXPECT_OK(conf_mint(s, obj[k], seL4_AllRights, values[i]));
            keel_model_cap_info b = conf_cap(s);
            assert_int_equal(b.badge, values[i]);
            assert_true(b.original);
            /* A badged cap can never be re-badged, not even with 0 or its own badge. */
            EXPECT_ERR(conf_mint(s + 1, s, seL4_AllRights, values[i] + 1), seL4_IllegalOperation);
            EXPECT_ERR(conf_mint(s + 1, s, seL4_AllRights, values[i]), seL4_IllegalOperation);
            EXPECT_ERR(conf_mint(s + 1, s, seL4_AllRights, 0), seL4_IllegalOperation);
            /* Copy keeps it. */
            EXPECT_OK(conf_copy(s + 1, s, seL4_AllRights));
            assert_int_equal(conf_cap(s + 1).badge, values[i]);
            /* Mutate and Rotate never work on endpoint and notification caps. */
            EXPECT_ERR(conf_mutate(s + 2, s, 0), seL4_IllegalOperation);
            EXPECT_ERR(conf_mutate(s + 2, obj[k], 0), seL4_IllegalOperation);
            EXPECT_ERR(conf_mutate(s + 2, obj[k], values[i]), seL4_IllegalOperation);
            EXPECT_ERR(conf_rotate(s + 2, 0, s + 1, 0, s), seL4_IllegalOperation);
            EXPECT_OK(conf_revoke(s));
            EXPECT_OK(conf_delete(s));
        }
    }
    assert_int_equal(conf_cap(ep).badge, 0);
    /* Mint ignores the badge of caps that have none. */
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, s, 1));
    EXPECT_OK(conf_mint(s + 1, s, seL4_AllRights, 99));
    assert_int_equal(conf_cap(s + 1).badge, 0);
    assert_false(conf_cap(s + 1).original);
    EXPECT_OK(conf_mint(s + 2, seL4_CapInitThreadTCB, seL4_AllRights, 99));
    assert_int_equal(conf_cap(s + 2).type, KEEL_MODEL_CAP_TCB);
}

static void cnode_guards(void **state)
{
    (void)state;
    seL4_CPtr cn = e, s = e + 1;
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 4, cn, 1));
    /* Mint: guardSize from bits 0..5, the guard from bits 6.. cut to guardSize bits. */
    EXPECT_OK(conf_mint(s, cn, seL4_AllRights, seL4_CNode_CapData_new(0xfff, 4).words[0]));
    keel_model_cap_info g = conf_cap(s);
    assert_int_equal(g.guard_size, 4);
    assert_int_equal(g.guard, 0xf);
    assert_int_equal(g.radix, 4);
    assert_false(g.original); /* the guard is not a badge: a plain copy */
    EXPECT_CHILDREN(cn, false, s);
    /* A CNode cap's guard can be changed again (unlike a badge), by Mint or Mutate. */
    EXPECT_OK(conf_mint(s + 1, s, seL4_AllRights, seL4_CNode_CapData_new(1, 1).words[0]));
    assert_int_equal(conf_cap(s + 1).guard, 1);
    assert_int_equal(conf_cap(s + 1).guard_size, 1);
    EXPECT_OK(conf_mutate(s + 2, s + 1, seL4_CNode_CapData_new(0x3ffffffffffffffful, 60).words[0]));
    assert_int_equal(conf_cap(s + 2).guard_size, 60);
    assert_int_equal(conf_cap(s + 2).guard, (1ul << 58) - 1); /* 58 guard bits in the word */
    /* guardSize + radix > 64: IllegalOperation. */
    EXPECT_ERR(conf_mint(s + 3, cn, seL4_AllRights, seL4_CNode_CapData_new(0, 61).words[0]),
               seL4_IllegalOperation);
    EXPECT_ERR(conf_mutate(s + 3, s + 2, seL4_CNode_CapData_new(0, 61).words[0]),
               seL4_IllegalOperation);
    EXPECT_ERR(conf_mint(s + 3, CONF_ROOT, seL4_AllRights, seL4_CNode_CapData_new(0, 53).words[0]),
               seL4_IllegalOperation);
    EXPECT_OK(conf_mint(s + 3, CONF_ROOT, seL4_AllRights, seL4_CNode_CapData_new(0, 52).words[0]));
    assert_int_equal(conf_cap(s + 3).guard_size, 52);
    /* Mint with data 0 clears the guard. */
    EXPECT_OK(conf_mint(s + 4, CONF_ROOT, seL4_AllRights, 0));
    assert_int_equal(conf_cap(s + 4).guard_size, 0);
    assert_int_equal(conf_cap(s + 4).radix, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(untyped_with_children_cannot_be_copied, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(frame_copies_are_unmapped, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(unmapped_paging_structures_cannot_be_copied, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(caps_that_derive_to_nothing, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(everything_else_copies_as_is, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(endpoint_and_notification_rights, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(frame_vm_rights, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(badges, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(cnode_guards, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.derive", tests, NULL, NULL);
}
