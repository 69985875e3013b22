"""Templates of a record's __init__ and a named tuple's __new__, one per number of
fields: cnncost.record renames their parameters to a class's fields and gives each
its globals (s0, s1, …: the fields' slot setters; tuple_new: tuple.__new__). Written
by `python -m cnncost.record`; do not edit (tests/test_record.py checks it)."""


def init0(self):
    pass


def init1(self, a0):
    s0(self, a0)


def init2(self, a0, a1):
    s0(self, a0)
    s1(self, a1)


def init3(self, a0, a1, a2):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)


def init4(self, a0, a1, a2, a3):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)


def init5(self, a0, a1, a2, a3, a4):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)


def init6(self, a0, a1, a2, a3, a4, a5):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)


def init7(self, a0, a1, a2, a3, a4, a5, a6):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)


def init8(self, a0, a1, a2, a3, a4, a5, a6, a7):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)


def init9(self, a0, a1, a2, a3, a4, a5, a6, a7, a8):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)
    s8(self, a8)


def init10(self, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)
    s8(self, a8)
    s9(self, a9)


def init11(self, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)
    s8(self, a8)
    s9(self, a9)
    s10(self, a10)


def init12(self, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)
    s8(self, a8)
    s9(self, a9)
    s10(self, a10)
    s11(self, a11)


def init13(self, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)
    s8(self, a8)
    s9(self, a9)
    s10(self, a10)
    s11(self, a11)
    s12(self, a12)


def init14(self, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)
    s8(self, a8)
    s9(self, a9)
    s10(self, a10)
    s11(self, a11)
    s12(self, a12)
    s13(self, a13)


def init15(self, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)
    s8(self, a8)
    s9(self, a9)
    s10(self, a10)
    s11(self, a11)
    s12(self, a12)
    s13(self, a13)
    s14(self, a14)


def init16(self, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15):
    s0(self, a0)
    s1(self, a1)
    s2(self, a2)
    s3(self, a3)
    s4(self, a4)
    s5(self, a5)
    s6(self, a6)
    s7(self, a7)
    s8(self, a8)
    s9(self, a9)
    s10(self, a10)
    s11(self, a11)
    s12(self, a12)
    s13(self, a13)
    s14(self, a14)
    s15(self, a15)


def new0(_cls):
    return tuple_new(_cls, ())


def new1(_cls, a0):
    return tuple_new(_cls, (a0,))


def new2(_cls, a0, a1):
    return tuple_new(_cls, (a0,a1,))


def new3(_cls, a0, a1, a2):
    return tuple_new(_cls, (a0,a1,a2,))


def new4(_cls, a0, a1, a2, a3):
    return tuple_new(_cls, (a0,a1,a2,a3,))


def new5(_cls, a0, a1, a2, a3, a4):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,))


def new6(_cls, a0, a1, a2, a3, a4, a5):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,))


def new7(_cls, a0, a1, a2, a3, a4, a5, a6):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,))


def new8(_cls, a0, a1, a2, a3, a4, a5, a6, a7):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,))


def new9(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,a8,))


def new10(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,))


def new11(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,))


def new12(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,))


def new13(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,))


def new14(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,a13,))


def new15(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,a13,a14,))


def new16(_cls, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15):
    return tuple_new(_cls, (a0,a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,a13,a14,a15,))


INIT = (init0, init1, init2, init3, init4, init5, init6, init7, init8, init9, init10, init11, init12, init13, init14, init15, init16)
NEW = (new0, new1, new2, new3, new4, new5, new6, new7, new8, new9, new10, new11, new12, new13, new14, new15, new16)
