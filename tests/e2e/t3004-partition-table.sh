#!/bin/sh
# partition_table: CSV -> binary -> CSV (gen_esp32part.py semantics: automatic offsets and
# alignment, K/M sizes, named and numeric types, flags, MD5 row), a table found inside a
# merged image, and the errors gen_esp32part.py reports.
. "$(dirname "$0")/lib.sh"

cat >"$T/t.csv" <<'CSV'
# Name,   Type, SubType, Offset,  Size, Flags
nvs,      data, nvs,     ,        0x6000,
otadata,  data, ota,     ,        0x2000,
phy_init, data, phy,     ,        4K,
ota_0,    app,  ota_0,   ,        1M,
ota_1,    app,  ota_1,   ,        1M,
storage,  data, spiffs,  ,        512K, encrypted
custom,   0x40, 0x12,    0x300000, 64K, readonly
CSV
run "$ESPLOAD" partition_table "$T/t.csv" -o "$T/t.bin"
expect_rc 0 "CSV to binary"
expect_out "Parsing CSV input..." "parsing line"
[ "$(wc -c <"$T/t.bin" | tr -d ' ')" -eq 3072 ] && ok "binary is 0xC00 bytes" || not_ok "binary size"
row() { od -An -v -tx1 -j $(($1 * 32)) -N 32 "$T/t.bin" | tr -d ' \n'; }
# row 0: aa50 01 02 00900000 00600000 "nvs" flags 0
case "$(row 0)" in aa5001020090000000600000*) ok "nvs at 0x9000 (after the table sector)" ;;
*) not_ok "row 0: $(row 0)" ;; esac
case "$(row 1)" in aa50010000f0000000200000*) ok "otadata at 0xf000" ;;
*) not_ok "row 1: $(row 1)" ;; esac
case "$(row 2)" in aa5001010010010000100000*) ok "phy_init at 0x11000, 4K" ;;
*) not_ok "row 2: $(row 2)" ;; esac
case "$(row 3)" in aa5000100000020000001000*) ok "ota_0 aligned up to 0x20000, 1M" ;;
*) not_ok "row 3: $(row 3)" ;; esac
case "$(row 5)" in aa5001820000220000000800*) ok "storage follows ota_1 at 0x220000" ;;
*) not_ok "row 5: $(row 5)" ;; esac
case "$(row 5)" in *01000000) ok "encrypted flag bit 0" ;; *) not_ok "flags: $(row 5)" ;; esac
case "$(row 6)" in aa5040120000300000000100*02000000) ok "numeric type/subtype, readonly bit 1" ;;
*) not_ok "row 6: $(row 6)" ;; esac
case "$(row 7)" in ebebffffffffffffffffffffffffffff*) ok "MD5 row" ;; *) not_ok "row 7: $(row 7)" ;; esac
md5=$(head -c 224 "$T/t.bin" | md5sum | cut -d' ' -f1)
[ "$(row 7 | cut -c33-)" = "$md5" ] && ok "MD5 of the entries" || not_ok "MD5 row value"
case "$(row 8)" in ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff) ok "0xFF after" ;;
*) not_ok "row 8" ;; esac

run "$ESPLOAD" partition_table "$T/t.bin"
expect_rc 0 "binary to CSV"
expect_out "Parsing binary partition input..." "binary parsing line"
expect_out "# ESP-IDF Partition Table" "CSV header"
expect_out "nvs,data,nvs,0x9000,24K," "nvs row"
expect_out "ota_0,app,ota_0,0x20000,1M," "ota_0 row"
expect_out "storage,data,spiffs,0x220000,512K,encrypted" "flags written back"
expect_out "custom,64,18,0x300000,64K,readonly" "numeric type written as decimal"
run "$ESPLOAD" partition_table "$T/t.bin" -o "$T/back.csv"
run "$ESPLOAD" partition_table "$T/back.csv" -o "$T/t2.bin"
expect_same_file "$T/t.bin" "$T/t2.bin" "binary -> CSV -> binary is stable"
run "$ESPLOAD" partition_table --disable-md5sum "$T/t.csv" -o "$T/nomd5.bin"
case "$(od -An -v -tx1 -j 224 -N 2 "$T/nomd5.bin" | tr -d ' \n')" in ffff) ok "--disable-md5sum" ;;
*) not_ok "MD5 row present" ;; esac
run "$ESPLOAD" partition_table "$T/t.csv"
expect_rc 0 "CSV printed as a table"
expect_out "ota_1" "listing"

# --partition-table-offset moves automatic placement
run "$ESPLOAD" partition_table --partition-table-offset 0x10000 "$T/t.csv" -o "$T/o.bin"
case "$(od -An -v -tx1 -N 12 "$T/o.bin" | tr -d ' \n')" in aa500102001001000060*) ok "nvs at 0x11000" ;;
*) not_ok "offset table: $(od -An -v -tx1 -N 12 "$T/o.bin" | tr -d ' \n')" ;; esac

# --flash-size
run "$ESPLOAD" partition_table --flash-size 2MB "$T/t.csv" -o "$T/x.bin"
expect_rc 3 "partitions past a 2MB flash refused"
expect_out "past the end of the 2 MB flash" "says which"
run "$ESPLOAD" partition_table --flash-size 4MB "$T/t.csv" -o "$T/x.bin"
expect_rc 0 "fits in 4MB"

# a table inside a flash dump / merged image
head -c 32768 /dev/zero | tr '\000' '\377' >"$T/dump.bin"
cat "$T/t.bin" >>"$T/dump.bin"
run "$ESPLOAD" partition_table "$T/dump.bin"
expect_rc 0 "table found in a dump"
expect_out "Found a partition table at file offset 0x8000" "dump offset"
tail -c +4097 "$T/dump.bin" >"$T/dump1000.bin"
run "$ESPLOAD" partition_table "$T/dump1000.bin"
expect_out "Found a partition table at file offset 0x7000" "file starting at 0x1000"

# straight from a device: write the table to the virtual ESP32, then read it back
run "$ESPLOAD" --port "sim://esp32?flash=$T/dev.bin" write_flash 0x8000 "$T/t.bin"
expect_rc 0 "table written to the device"
run "$ESPLOAD" --port "sim://esp32?flash=$T/dev.bin" partition_table
expect_rc 0 "partition_table --port"
expect_out "Reading the partition table at 0x8000..." "reads at 0x8000"
expect_out "ota_0,app,ota_0,0x20000,1M," "device table printed"
run "$ESPLOAD" --port "sim://esp32?flash=$T/blank.bin" partition_table
expect_rc 3 "an erased device has no table"

# errors (gen_esp32part.py's checks)
chk() { # chk 'csv' 'message' description
    printf '%b' "$1" >"$T/e.csv"
    run "$ESPLOAD" partition_table "$T/e.csv" -o "$T/e.bin"
    if [ "$RC" -eq 3 ] && grep -qF -- "$2" "$T/out"; then ok "$3"; else
        not_ok "$3 (exit $RC)"
        sed 's/^/    | /' "$T/out" | tail -3
    fi
}
chk 'nvs,data,nvs,0x9000,0x6000\nx,data,nvs,0xa000,0x1000\n' "Partitions overlap" "overlap"
chk 'a,app,factory,0x11000,1M\n' "not aligned to 0x10000" "app alignment"
chk 'a,data,nvs,0x7000,4K\n' "overlaps end of partition table" "below the table"
chk 'a,data,nvs,,4K\na,data,nvs,,4K\n' "Partition names must be unique" "duplicate names"
chk 'a,app,,,1M\n' "App partition cannot have an empty subtype" "empty app subtype"
chk 'a,data,nvs,,\n' "Size field can't be empty" "empty size"
chk 'a,data,nvs,,4K,secret\n' "unknown flag 'secret'" "unknown flag"
chk 'a,blob,nvs,,4K\n' "invalid type 'blob'" "unknown type"
chk 'o1,data,ota,,8K\no2,data,ota,,8K\n' "multiple otadata" "two otadata"
chk 'o1,data,ota,,4K\n' "otadata partition must have size = 0x2000" "otadata size"
chk 'averyveryverylongname,data,nvs,,4K\n' "longer than 16 characters" "long name"
cp "$T/t.bin" "$T/badmd5.bin"
printf '\000' | dd of="$T/badmd5.bin" bs=1 seek=250 conv=notrunc 2>/dev/null
run "$ESPLOAD" partition_table "$T/badmd5.bin"
expect_rc 3 "corrupt MD5 refused"
expect_out "MD5 checksums don't match" "MD5 message"
printf '\000\001\002binary junk' >"$T/junk.bin"
run "$ESPLOAD" partition_table "$T/junk.bin"
expect_rc 3 "junk refused"
run "$ESPLOAD" partition_table
expect_rc 2 "no input"
done_testing
